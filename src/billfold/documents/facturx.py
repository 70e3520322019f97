"""Factur-X / ZUGFeRD: the CII invoice embedded in the PDF/A-3b, as the Factur-X 1.0 specification
prescribes for the EN 16931 profile.

* the CII XML is embedded as ``factur-x.xml`` (MIME ``text/xml``) and listed once in the catalogue's
  ``/AF`` with ``/AFRelationship /Alternative`` (the specification allows ``Data``, ``Source`` or
  ``Alternative`` for the EN 16931 profile and ``Alternative`` is what ZUGFeRD and most producers write:
  the XML is an equivalent of the visible invoice);
* the XMP metadata carries the Factur-X extension schema (``fx:`` =
  ``urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#``: DocumentType ``INVOICE``, DocumentFileName
  ``factur-x.xml``, Version ``1.0``, ConformanceLevel ``EN 16931``) together with its PDF/A extension
  schema description (``pdfaExtension:schemas``), besides the PDF/A identification (part 3, conformance B).

WeasyPrint writes the PDF/A-3b file, its output intent and the embedded file; :func:`finish` then fixes up
the catalogue with pikepdf (WeasyPrint lists the file twice in ``/AF``) and writes the XMP packet.
"""

from __future__ import annotations

import io
from datetime import datetime, time
from typing import TYPE_CHECKING

import pikepdf

from billfold.documents.model import Document

if TYPE_CHECKING:
    from weasyprint import Attachment

FILENAME = "factur-x.xml"
FX_NAMESPACE = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
CONFORMANCE_LEVEL = "EN 16931"
RELATIONSHIP = "Alternative"

_FX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)


def attachment(cii: bytes, doc: Document) -> Attachment:
    """The ``factur-x.xml`` file for WeasyPrint to embed (dated with the issue date, so the same
    document always gives the same attachment)."""
    from weasyprint import Attachment  # loaded with the first PDF (see render_pdf)

    stamp = datetime.combine(doc.issue_date, time())
    return Attachment(
        string=cii,
        name=FILENAME,
        description="Factur-X / ZUGFeRD invoice (EN 16931)",
        relationship=RELATIONSHIP,
        created=stamp,
        modified=stamp,
    )


def finish(pdf_bytes: bytes, *, embedded: bool) -> bytes:
    """Write the XMP packet (PDF/A identification, Dublin Core title, and for an e-invoice the Factur-X
    schema) and list the embedded file once in ``/AF``."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        if embedded:
            _single_af(pdf)
        stream = pdf.make_stream(xmp(pdf.docinfo, embedded=embedded))
        stream.Type = pikepdf.Name.Metadata
        stream.Subtype = pikepdf.Name.XML
        pdf.Root.Metadata = stream
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def _single_af(pdf: pikepdf.Pdf) -> None:
    names = pdf.Root.Names.EmbeddedFiles.Names
    for index in range(0, len(names), 2):
        if str(names[index]) == FILENAME:
            spec = names[index + 1]
            if not spec.is_indirect:
                spec = pdf.make_indirect(spec)
                names[index + 1] = spec
            spec.AFRelationship = pikepdf.Name("/" + RELATIONSHIP)
            pdf.Root.AF = pikepdf.Array([spec])
            return
    raise ValueError(f"{FILENAME} is not embedded")


def _pdf_date(value: object) -> str | None:
    """A PDF date (``D:20261201``, ``D:20261201144105Z``, ``D:20261201144105+01'00'``) as an XMP date."""
    text = str(value) if value is not None else ""
    if not text.startswith("D:") or len(text) < 10:
        return None
    digits = text[2:16].ljust(14, "0")
    stamp = f"{digits[0:4]}-{digits[4:6]}-{digits[6:8]}T{digits[8:10]}:{digits[10:12]}:{digits[12:14]}"
    zone = text[16:].replace("'", "")
    if zone in ("", "Z"):
        return stamp + "Z"
    return f"{stamp}{zone[:3]}:{zone[3:5] or '00'}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def xmp(info: pikepdf.Dictionary, *, embedded: bool) -> bytes:
    """The XMP packet. Title, author, producer, creator tool and dates repeat the document information
    dictionary, as PDF/A requires them to agree."""
    title = str(info.get("/Title", ""))
    author = _escape(str(info.get("/Author", "")))
    producer = _escape(str(info.get("/Producer", "")))
    creator = _escape(str(info.get("/Creator", "")))
    created = _pdf_date(info.get("/CreationDate"))
    modified = _pdf_date(info.get("/ModDate"))
    parts = [
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
        '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">',
        "<pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>",
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "<dc:format>application/pdf</dc:format>",
        f"<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>" if author else "",
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{_escape(title)}</rdf:li></rdf:Alt></dc:title>',
        "</rdf:Description>",
        '<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">',
        f"<pdf:Producer>{producer}</pdf:Producer></rdf:Description>",
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">',
        f"<xmp:CreatorTool>{creator}</xmp:CreatorTool>" if creator else "",
        f"<xmp:CreateDate>{created}</xmp:CreateDate>" if created else "",
        f"<xmp:ModifyDate>{modified}</xmp:ModifyDate>" if modified else "",
        "</rdf:Description>",
    ]
    if embedded:
        parts += _facturx_descriptions()
    parts += ["</rdf:RDF>", "</x:xmpmeta>", '<?xpacket end="w"?>']
    return "\n".join(part for part in parts if part).encode("utf-8")


def _facturx_descriptions() -> list[str]:
    properties = "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{description}</pdfaProperty:description>"
        "</rdf:li>"
        for name, description in _FX_PROPERTIES
    )
    return [
        '<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
        ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
        ' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">',
        '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">',
        "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>",
        f"<pdfaSchema:namespaceURI>{FX_NAMESPACE}</pdfaSchema:namespaceURI>",
        "<pdfaSchema:prefix>fx</pdfaSchema:prefix>",
        f"<pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property>",
        "</rdf:li></rdf:Bag></pdfaExtension:schemas>",
        "</rdf:Description>",
        f'<rdf:Description rdf:about="" xmlns:fx="{FX_NAMESPACE}">',
        "<fx:DocumentType>INVOICE</fx:DocumentType>",
        f"<fx:DocumentFileName>{FILENAME}</fx:DocumentFileName>",
        "<fx:Version>1.0</fx:Version>",
        f"<fx:ConformanceLevel>{CONFORMANCE_LEVEL}</fx:ConformanceLevel>",
        "</rdf:Description>",
    ]
