"""Ingestion: uploaded files -> :class:`icp_engine.domain.Follower` records.

Entry point: :func:`icp_engine.ingest.upload.parse_upload` (bytes + filename -> ParsedUpload, or
:class:`UploadError` with a message for the user). Formats: saved LinkedIn people-list pages
(followers, connections, search results; every DOM generation of FORMATS.md §A), LinkedIn's
``Connections.csv`` export, and plain lists of profile URLs.

Modules (all pure: nothing here touches the database or the network):

* :mod:`.upload` - ``parse_upload(filename, data, *, max_bytes)`` and ``parse_text(text)``:
  size / type / encoding / ZIP / gzip checks, then dispatch by content; ``ParsedUpload``,
  ``UploadError``.
* :mod:`.profile_url` - ``profile_ref(href) -> ProfileRef | None``: the canonical profile key
  (``ACoAA…`` id with its case, or the lower-cased decoded vanity) of any link form.
* :mod:`.html_pages` - ``parse_people_page(html) -> PageParse``: card-scoped extraction from
  saved pages (G1 follows cards, G2 entity-result, G3 SDUI, old connections cards), with data
  island aliases, owner / suggestion / "LinkedIn Member" / skeleton filtering, and dedupe.
* :mod:`.connections_csv` - ``parse_connections_csv(text)``: LinkedIn's export CSV.
* :mod:`.url_list` - ``parse_url_list(text)``: profile URLs in any text.
"""
