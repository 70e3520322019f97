"""Invoice documents: one typed model (:mod:`.model`) and pure renderers of it.

* :func:`billfold.documents.pdf.render_pdf` — PDF/A-3b, Factur-X (EN 16931) when EN 16931 can express it;
* :func:`billfold.documents.html.render_hosted_page` — the hosted invoice page;
* :func:`billfold.documents.ubl.render_ubl` / :func:`billfold.documents.cii.render_cii` — EN 16931
  e-invoices, refused with :class:`billfold.documents.einvoice.NotRepresentableError` when the standard
  cannot carry the document (:func:`billfold.documents.einvoice.not_representable` lists why).

Nothing here touches a session, the network or the file system, except reading this package's own
templates, catalogues and stylesheets through :mod:`importlib.resources`.
"""
