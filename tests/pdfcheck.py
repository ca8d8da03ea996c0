"""Checks for the PDFs the project makes (core/pdf.py): the page as an image, the text, the fonts.

``assert_renders_chinese(pdf, "报价单")`` proves that Chinese is really drawn, not only present as
text: a PDF written without a Chinese font still carries the characters in its text layer (so a
text search passes) while the page shows empty boxes (豆腐块, "tofu"). The check therefore also
looks at the embedded font and at the ink of the glyphs on the rendered page.
"""

from __future__ import annotations

import ctypes
import io

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops

SCALE = 4  # 72 dpi × 4: a 10 pt glyph is about 55 px high, enough to tell characters apart


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    assert data.startswith(b"%PDF-"), "not a PDF"
    return pdfium.PdfDocument(data)


def page_count(data: bytes) -> int:
    return len(open_pdf(data))


def page_image(data: bytes, page: int = 0, *, scale: float = SCALE) -> Image.Image:
    """Page ``page`` (0-based) rendered to a greyscale PIL image."""
    doc = open_pdf(data)
    return doc[page].render(scale=scale).to_pil().convert("L")


def pdf_text(data: bytes) -> str:
    """The text of every page, pages separated by a form feed; line breaks as \\n."""
    doc = open_pdf(data)
    pages = []
    for page in doc:
        pages.append(page.get_textpage().get_text_bounded().replace("\r\n", "\n"))
    return "\f".join(pages)


def _font_of_char(textpage, index: int):
    """(base font name, embedded?, font bytes) of the character at ``index``."""
    obj = textpage.get_textobj(index)
    font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
    assert font, "no font for the character"
    n = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
    name = ctypes.create_string_buffer(n)
    pdfium_c.FPDFFont_GetBaseFontName(font, name, n)
    embedded = bool(pdfium_c.FPDFFont_GetIsEmbedded(font))
    size = ctypes.c_size_t()
    pdfium_c.FPDFFont_GetFontData(font, None, 0, ctypes.byref(size))
    buf = (ctypes.c_uint8 * size.value)()
    if size.value:
        pdfium_c.FPDFFont_GetFontData(font, buf, size.value, ctypes.byref(size))
    return name.value.decode("latin-1"), embedded, bytes(buf)


def _font_maps(font_data: bytes, ch: str) -> bool:
    """Does the embedded font program have a glyph for ``ch`` (its cmap maps the character)?"""
    if not font_data:
        return False
    try:
        cmap = TTFont(io.BytesIO(font_data)).getBestCmap() or {}
    except Exception:  # noqa: BLE001 - not a TrueType/OpenType program: no proof of a glyph
        return False
    return ord(ch) in cmap


def _locate(data: bytes, text: str):
    """(page number, textpage, index of text's first character) of the first page showing ``text``."""
    doc = open_pdf(data)
    for number, page in enumerate(doc):
        textpage = page.get_textpage()
        chars = textpage.get_text_range()
        # the text layer may have line breaks inside ``text``: compare without white space
        squeezed, positions = [], []
        for i, c in enumerate(chars):
            if not c.isspace():
                squeezed.append(c)
                positions.append(i)
        target = "".join(c for c in text if not c.isspace())
        at = "".join(squeezed).find(target)
        if at >= 0:
            return number, page, textpage, [positions[at + k] for k in range(len(target))], target
    return None


def _ink(image: Image.Image) -> int:
    """How many pixels are clearly dark."""
    return sum(image.point(lambda v: 255 if v < 128 else 0).histogram()[255:])


DIFFERENT = 0.03  # share of pixels that must differ clearly between two different characters


def difference_share(a: Image.Image, b: Image.Image) -> float:
    """The share of pixels that clearly differ between two glyph images (scaled to one size)."""
    size = (max(a.width, b.width), max(a.height, b.height))
    diff = ImageChops.difference(a.resize(size), b.resize(size)).point(lambda v: 255 if v > 96 else 0)
    return diff.histogram()[255] / (size[0] * size[1])


def glyph_image(page, textpage, index: int, *, scale: float = SCALE) -> Image.Image:
    """The rendered box of the character at ``index`` (cropped from the page image)."""
    left, bottom, right, top = textpage.get_charbox(index, loose=True)
    height = page.get_height()
    image = page.render(scale=scale).to_pil().convert("L")
    box = (int(left * scale), int((height - top) * scale), int(right * scale) + 1, int((height - bottom) * scale) + 1)
    return image.crop(box)


def assert_renders_chinese(data: bytes, text: str) -> None:
    """Fail unless the PDF shows ``text`` (which must hold two different Chinese characters) in a real
    embedded Chinese font: the text layer has it, the characters' font is embedded and has their
    glyphs, and the two characters' glyph boxes on the rendered page carry ink and differ."""
    hans = list(dict.fromkeys(c for c in text if is_cjk(c)))
    assert len(hans) >= 2, "give a text with two different Chinese characters"
    found = _locate(data, text)
    assert found is not None, f"the PDF's text does not contain {text!r}: {pdf_text(data)[:500]!r}"
    _number, page, textpage, indexes, target = found
    by_char = {}
    for ch in hans[:2]:
        by_char[ch] = indexes[target.index(ch)]
    glyphs = []
    for ch, index in by_char.items():
        name, embedded, font_data = _font_of_char(textpage, index)
        assert embedded, f"{ch!r} is set in {name}, which is not embedded in the PDF"
        assert _font_maps(font_data, ch), f"{ch!r} is set in {name}, which has no glyph for it (tofu)"
        glyph = glyph_image(page, textpage, index)
        assert glyph.width > 2 and glyph.height > 2, f"{ch!r} has no box on the page"
        assert _ink(glyph) > 20, f"{ch!r} is drawn without ink"
        glyphs.append(glyph)
    assert difference_share(*glyphs) > DIFFERENT, (
        f"{hans[0]!r} and {hans[1]!r} are drawn the same (empty boxes instead of Chinese glyphs?)"
    )
