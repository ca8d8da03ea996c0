"""The PDF engine (core/pdf.py) and the Chinese-rendering check (tests/pdfcheck.py)."""

from __future__ import annotations

import copy

import pytest

from core import pdf
from tests import pdfcheck

TINY = """{% load i18n %}<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">
<style>h1 { font-size: 20pt; }</style></head>
<body><h1>{{ title }}</h1><p>挖掘机 {{ price }}</p><p><b>加粗 粗体字</b></p>
<div style="break-before: page">第二页 内容</div></body></html>"""


@pytest.fixture
def tiny_template(settings, tmp_path):
    (tmp_path / "pdftest").mkdir()
    (tmp_path / "pdftest" / "tiny.html").write_text(TINY, encoding="utf-8")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    return "pdftest/tiny.html"


@pytest.fixture(scope="module")
def tofu_pdf():
    """The same kind of page written by WeasyPrint without our font. Only a machine without a system
    Chinese font writes tofu then (a fresh machine, CI); elsewhere Pango falls back to that font."""
    import shutil
    import subprocess

    if (
        shutil.which("fc-list")
        and subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip()
    ):
        pytest.skip("this machine has a system Chinese font: WeasyPrint cannot write tofu here")
    html = "<html><body style='font-family: sans-serif'><h1>报价单 挖掘机</h1></body></html>"
    return pdf.load_weasyprint().HTML(string=html).write_pdf()


def test_render_pdf_from_a_template_renders_chinese(tiny_template):
    data = pdf.render_pdf(tiny_template, {"title": "报价单 BJ202600001", "price": "¥368,000.00"})
    assert data.startswith(b"%PDF-")
    assert pdfcheck.page_count(data) == 2
    text = pdfcheck.pdf_text(data)
    assert "报价单 BJ202600001" in text
    assert "¥368,000.00" in text
    assert "1 / 2" in text and "2 / 2" in text  # page numbers from the base style sheet
    pdfcheck.assert_renders_chinese(data, "报价单")
    pdfcheck.assert_renders_chinese(data, "挖掘机")
    pdfcheck.assert_renders_chinese(data, "粗体字")  # the bold face too
    pdfcheck.assert_renders_chinese(data, "第二页")  # and on page 2
    # the font is subset: a page of text stays small although the font file has 10 MB
    assert len(data) < 400_000


def test_page_image_is_a4():
    data = pdf.html_to_pdf("<p>中文</p>")
    image = pdfcheck.page_image(data, scale=1)
    assert abs(image.width - 595) <= 1 and abs(image.height - 842) <= 1


def test_the_check_fails_without_the_font(tofu_pdf):
    # the text layer still has the characters: a plain text search would be fooled
    assert "报价单" in pdfcheck.pdf_text(tofu_pdf)
    with pytest.raises(AssertionError, match=r"has no glyph for it \(tofu\)"):
        pdfcheck.assert_renders_chinese(tofu_pdf, "报价单")


def test_tofu_boxes_look_alike_and_real_glyphs_do_not(tofu_pdf):
    """The ink comparison on its own tells tofu from glyphs."""

    def two_glyphs(data):
        _n, page, textpage, indexes, _t = pdfcheck._locate(data, "报价")
        return [pdfcheck.glyph_image(page, textpage, i) for i in indexes]

    assert pdfcheck.difference_share(*two_glyphs(tofu_pdf)) < pdfcheck.DIFFERENT
    good = pdf.html_to_pdf("<h1>报价单 挖掘机</h1>")
    assert pdfcheck.difference_share(*two_glyphs(good)) > pdfcheck.DIFFERENT


def test_missing_text_fails():
    data = pdf.html_to_pdf("<p>挖掘机</p>")
    with pytest.raises(AssertionError, match="does not contain"):
        pdfcheck.assert_renders_chinese(data, "报价单")


def test_url_fetcher_reads_static_files_only(tmp_path):
    fetch = pdf._url_fetcher()
    secret = tmp_path / "secret.css"
    secret.write_text("p { color: red }")
    for url in (secret.as_uri(), "http://example.com/x.png", "file:///etc/passwd", "ftp://example.com/x"):
        with pytest.raises(ValueError):
            fetch(url)
    # a static URL is read from the static folders, never from the network
    response = fetch(pdf.BASE_URL + "static/vendor/fonts/NotoSansSC-OFL.txt")
    try:
        assert b"Open Font License" in response.read()
    finally:
        response.close()


def test_user_text_cannot_pull_in_files(tiny_template):
    # a template escapes what users typed; even markup put in raw does not read local files
    data = pdf.html_to_pdf(
        '<p>中文</p><img src="file:///etc/hostname"><link rel="stylesheet" href="file:///etc/x.css">'
    )
    assert data.startswith(b"%PDF-")


def test_rendering_leaves_pillows_truncated_image_check_on():
    """WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on when imported; the uploads' checks
    (visit photos, evidence files) rely on it being off."""
    from PIL import ImageFile

    pdf.html_to_pdf("<p>中文</p>")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
