"""Ingestion: uploaded files -> :class:`icp_engine.domain.Follower` records.

Entry point: :func:`icp_engine.ingest.upload.parse_upload` (bytes + filename -> ParsedUpload, or
:class:`UploadError` with a message for the user). Formats: saved LinkedIn people-list pages
(followers, connections, search results; every DOM generation of FORMATS.md §A), LinkedIn's
``Connections.csv`` export, and plain lists of profile URLs.
"""
