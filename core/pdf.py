"""The PDF engine: a Django HTML template → a PDF (A4 by default), Chinese included.

Used by the quotes (报价单, ``policies/quotes.py``) and meant for every printed document that follows
(order confirmations, receipts, contracts from configurable templates)::

    from core.pdf import render_pdf
    data = render_pdf("policies/pdf/quote.html", {"quote": ...})

How it works: WeasyPrint lays the HTML and CSS out with Pango and writes the PDF. The output must
not depend on the fonts of the machine (a server usually has no Chinese font), so the engine brings
its own: Noto Sans SC (SIL Open Font License 1.1), fetched from the npm registry by ``bin/setup``
into ``static/vendor/fonts/`` and declared with ``@font-face`` in a base style sheet applied before
the template's own styles. Only the glyphs used are embedded (subset), so a quote stays small.

The base style sheet gives every document: the font family ``"DigDeal Sans"`` (regular and bold)
on the whole page, A4 with 18 mm margins and the page number ("3 / 5") at the bottom centre. A
template overrides any of it in its own ``<style>`` (e.g. ``@page { size: A5 landscape }`` or an
``@bottom-center`` content of its own).

Resources: a template may link images or style sheets by their static URL (``{% static '…' %}``)
or as ``data:`` URLs; these are read from the static files. Nothing is fetched over the network and
no other local file is read (the URL fetcher refuses), so text a user typed into a document can
never make the server read a file or call out.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string

log = logging.getLogger(__name__)
# fontTools reports every subset it makes at INFO: keep the logs for what matters
logging.getLogger("fontTools").setLevel(logging.WARNING)
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

FONT_FAMILY = "DigDeal Sans"
# (file under static/, weight)
FONT_FILES = (
    ("vendor/fonts/NotoSansSC-Regular.ttf", 400),
    ("vendor/fonts/NotoSansSC-Bold.ttf", 700),
)

PAGE_CSS = """
@page {
  size: A4;
  margin: 18mm 16mm 20mm 16mm;
  @bottom-center {
    content: counter(page) " / " counter(pages); font-family: "%(family)s"; font-size: 8pt; color: #666;
  }
}
html { font-family: "%(family)s", sans-serif; font-size: 10pt; line-height: 1.45; color: #111; }
"""


# Relative and site-absolute URLs (``/static/…``) resolve against this; it is never fetched.
BASE_URL = "https://digdeal.invalid/"


class PdfError(RuntimeError):
    """The document could not be rendered (a broken template or style sheet)."""


def _static_file(path: str) -> Path | None:
    """The file of a static path (``vendor/fonts/x.ttf``): from the static folders, else STATIC_ROOT."""
    found = finders.find(path)
    if found:
        return Path(found)
    root = getattr(settings, "STATIC_ROOT", None)
    if root and (Path(root) / path).is_file():
        return Path(root) / path
    return None


@lru_cache(maxsize=1)
def _font_faces() -> str:
    """The @font-face rules of the bundled Chinese font (file:// URLs), checked once per process."""
    rules = []
    for path, weight in FONT_FILES:
        file = _static_file(path)
        if file is None:
            raise ImproperlyConfigured(
                f"The PDF font static/{path} is missing: run bin/setup (it copies Noto Sans SC from the "
                "npm package @expo-google-fonts/noto-sans-sc)."
            )
        rules.append(
            f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; font-style: normal; '
            f'src: url("{file.resolve().as_uri()}"); }}'
        )
    return "\n".join(rules)


def base_css() -> str:
    """The style sheet applied under every document's own styles (fonts, A4, page numbers)."""
    return _font_faces() + PAGE_CSS % {"family": FONT_FAMILY}


def _allowed_roots() -> list[Path]:
    roots = [Path(d).resolve() for d in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


def _static_url_target(url: str) -> str | None:
    """The file:// or data: URL a document may read for ``url``, or None (refused)."""
    if url.startswith("data:"):
        return url
    parts = urlsplit(url)
    static_url = "/" + settings.STATIC_URL.lstrip("/")
    if parts.scheme in ("", "http", "https") and parts.path.startswith(static_url):
        # a {% static %} URL, absolute or relative to the site: read the file, never the network
        file = _static_file(unquote(parts.path[len(static_url) :]))
        return file.resolve().as_uri() if file is not None else None
    if parts.scheme == "file":
        file = Path(unquote(parts.path)).resolve()
        if file.is_file() and any(file.is_relative_to(root) for root in _allowed_roots()):
            return file.as_uri()
    return None


@lru_cache(maxsize=1)
def _fetcher_class():
    load_weasyprint()
    from weasyprint.urls import URLFetcher

    class StaticOnlyFetcher(URLFetcher):
        """Serves ``data:`` URLs, static URLs and files under the static folders; refuses the rest."""

        def fetch(self, url, headers=None):
            target = _static_url_target(url)
            if target is None:
                raise ValueError(f"PDF documents may only use static files, not {url[:200]}")
            return super().fetch(target, headers)

    return StaticOnlyFetcher


def _url_fetcher():
    return _fetcher_class()(allowed_protocols=("file", "data"), allow_redirects=False)


def load_weasyprint():
    """The weasyprint module, imported without its side effect on Pillow: importing it sets
    ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True`` for the whole process, which would let truncated
    uploads (visit photos, evidence) pass the checks that decode them. The flag is put back."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        import weasyprint as module
        import weasyprint.text.fonts
    except OSError as exc:  # the Python package is there but Pango is not
        raise ImproperlyConfigured(f"WeasyPrint cannot load Pango ({exc}): run bin/setup.") from exc
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return module


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """An HTML string → PDF bytes, with the bundled fonts and the base style sheet."""
    wp = load_weasyprint()
    CSS, HTML, FontConfiguration = wp.CSS, wp.HTML, wp.text.fonts.FontConfiguration

    fonts = FontConfiguration()
    fetcher = _url_fetcher()
    base = CSS(string=base_css(), font_config=fonts, url_fetcher=fetcher)
    document = HTML(string=html, base_url=base_url or BASE_URL, url_fetcher=fetcher)
    try:
        return document.write_pdf(stylesheets=[base], font_config=fonts)
    except (ValueError, TypeError, AttributeError) as exc:  # pragma: no cover - broken template CSS
        log.exception("PDF rendering failed")
        raise PdfError(str(exc)) from exc


def render_pdf(template_name: str, context: dict, *, request=None) -> bytes:
    """Render a Django template to HTML, then to a PDF; returns the PDF's bytes."""
    html = render_to_string(template_name, context, request=request)
    return html_to_pdf(html)
