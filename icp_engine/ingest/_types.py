"""Result and error types shared by the ingestion parsers (re-exported by :mod:`.upload`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..domain import Follower
from ..errors import InvalidInput

#: Values of :attr:`ParsedUpload.kind`.
UPLOAD_KINDS: tuple[str, ...] = (
    "followers_page", "connections_page", "search_page", "people_page", "connections_csv",
    "url_list",
)


class UploadError(InvalidInput):
    """An upload was refused. ``str(err)`` is a complete sentence meant for the end user
    (what is wrong and what to upload instead); nothing has been stored when it is raised."""


@dataclass
class ParsedUpload:
    """Everything found in one uploaded file or pasted text.

    * ``kind`` - one of :data:`UPLOAD_KINDS`.
    * ``people`` - :class:`~icp_engine.domain.Follower` records, unique by ``key`` (and by the
      ``profile_id`` / ``vanity`` aliases known in the file), in file order; never empty.
    * ``page_owner`` - key of the page owner (saved pages only; vanity or ``ACoAA…`` id), else None.
    * ``stats`` - counters. Pages: ``cards``, ``people``, ``duplicates``, ``skipped_headless``
      ("LinkedIn Member"), ``skeletons``, ``suggestion_cards``, ``owner_cards``,
      ``cards_without_profile_link``, ``island_profiles``, ``generation``, and when the page
      header states the list's total, ``declared_total`` (int, e.g. 1284) with
      ``declared_total_of`` (``"followers"`` / ``"connections"``): compare with ``people`` to
      tell the user to scroll to the end before saving (a warning says so when under 95 %).
      Connections.csv: ``rows``, ``people``, ``people_without_url`` (keyed by name + company,
      ``Follower.has_url`` False), ``blank_rows``, ``skipped_no_name``, ``invalid_url``,
      ``duplicates``, ``delimiter``, ``has_url_column``.
      URL lists: ``lines``, ``urls``, ``people``, ``duplicates``, ``not_profiles``, ``ignored``.
      Always ``bytes`` and ``encoding`` of the input (``zip_member`` for ZIPs).
    * ``warnings`` - user-facing sentences about things skipped or guessed.
    """

    kind: str
    people: list[Follower]
    page_owner: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
