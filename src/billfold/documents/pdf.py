"""The PDF of an invoice or credit note: PDF/A-3b, written by WeasyPrint from an HTML template.

An issued document that EN 16931 can express is a Factur-X / ZUGFeRD (EN 16931 profile) file with its CII
XML embedded (see :mod:`~billfold.documents.facturx`); anything else (a draft, a BHD invoice) is a plain
PDF/A-3b. Drafts carry a DRAFT watermark and banner and no number. Fonts: DejaVu Sans (Debian's
``fonts-dejavu-core``, found through fontconfig), and for what DejaVu has no glyph for (Chinese,
Japanese, Korean) the font fontconfig falls back to (Debian's ``fonts-droid-fallback``), embedded as
subsets; text stays selectable. Tables
repeat their header rows on every page and every page is numbered "Page n of N" (CSS counters).

:func:`render_pdf` is pure: it fetches nothing (every URL is refused) and writes no file. It takes about
a second for a thousand lines, so callers run it off the event loop.
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, NoReturn

from markupsafe import Markup

from billfold.documents import facturx
from billfold.documents.cii import render_cii
from billfold.documents.einvoice import not_representable
from billfold.documents.i18n import Formatter
from billfold.documents.model import Document, DocumentKind
from billfold.documents.view import common_context, formatter, party_ids, render_template, stylesheet

if TYPE_CHECKING:
    from weasyprint.css import ColorProfile


def render_pdf(doc: Document, locale: str | None = None) -> bytes:
    """The PDF/A-3b of ``doc`` in ``locale`` (default: the document's own)."""
    # WeasyPrint takes about a second to import: a server (and every CLI command) starts without it,
    # and the first PDF a process renders loads it.
    from weasyprint import HTML

    fmt = formatter(doc, locale)
    html = render_template("pdf.html", **pdf_context(doc, fmt))
    cii = None if doc.is_draft or not_representable(doc) else render_cii(doc)
    attachments = [facturx.attachment(cii, doc)] if cii is not None else []
    pdf = HTML(string=html, url_fetcher=_refuse).write_pdf(
        pdf_variant="pdf/a-3b",
        attachments=attachments,
        output_intent=OUTPUT_INTENT,
        color_profiles={OUTPUT_INTENT: _srgb_profile()},
    )
    return facturx.finish(pdf, embedded=cii is not None)


OUTPUT_INTENT = "srgb-icc"


@cache
def _srgb_bytes() -> bytes:
    return resources.files("weasyprint").joinpath("pdf", "sRGB2014.icc").read_bytes()


def _srgb_profile() -> ColorProfile:
    """WeasyPrint's own sRGB output intent, given from memory: left to itself, WeasyPrint 70 opens the
    profile file on every render and never closes it (a ResourceWarning, an error under our tests)."""
    from weasyprint.css import ColorProfile

    return ColorProfile(
        io.BytesIO(_srgb_bytes()), "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
    )


def pdf_context(doc: Document, fmt: Formatter) -> dict[str, Any]:
    _ = fmt.gettext
    footer = " · ".join([doc.seller.name or "", *party_ids(doc.seller, fmt)])
    page = _css_string(_("Page {page} of {pages}"))
    page = page.replace("{page}", '" counter(page) "').replace("{pages}", '" counter(pages) "')
    watermark = _("DRAFT") if doc.is_draft else (_("VOID") if doc.status == "void" else "")
    banner = _("Draft: not a valid invoice. It gets its number when it is issued.") if doc.is_draft else ""
    if doc.status == "void":
        banner = (
            _("This credit note has been voided.")
            if doc.kind is DocumentKind.CREDIT_NOTE
            else _("This invoice has been voided.")
        )
    return {
        **common_context(doc, fmt),
        "css": Markup(stylesheet("pdf.css")),
        "page_label": Markup(f'"{page}"'),
        "footer": Markup(_css_string(footer)),
        "watermark": watermark,
        "banner": banner,
    }


def _css_string(text: str) -> str:
    """Text safe inside a CSS double-quoted string in a <style> element."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", " ")


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"documents fetch nothing: {url}")
