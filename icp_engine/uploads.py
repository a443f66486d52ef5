"""Uploads: parse files, preview them against a client's leads, store them as one batch.

The dashboard's flow (and the CLI's, with one file): every file is parsed and compared with the
client's leads first (:meth:`Uploads.preview`, nothing written); the good previews are merged,
people deduplicated on their profile key (first occurrence wins); then :meth:`Uploads.store`
writes them as one batch in one transaction (all or nothing). Parsing is :mod:`icp_engine.ingest`;
the SQL is :mod:`icp_engine.db.leads`.

Linking (issue 8): every lead stores a name + company key (``leads.name_key``, from
:func:`name_keys`). A later upload's person *with* a profile URL whose key equals a lead known
only by name + company (a ``Connections.csv`` export without URLs) is that lead: it takes the
URL key and URLs instead of a duplicate being created; a page lead's company is read from its
headline ("CFO at Quillstone Systems") for this. A person *without* a URL matches the one lead
with a URL that has the same key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .config import Settings
from .db import Database
from .db import leads as leads_sql
from .domain import Follower
from .enrich.page import follower_linking_key
from .errors import InvalidInput, PermissionDenied, RunConflict
from .ingest.upload import ParsedUpload, parse_upload


@dataclass
class UploadPreview:
    """One parsed file compared with the client's leads (nothing stored).

    ``filename``; ``parsed``: the :class:`~icp_engine.ingest.upload.ParsedUpload`; ``sha256``: hex
    digest of the file's bytes; ``new`` / ``known``: how many of its people are new or already
    leads of the client; ``known_indexes``: indexes in ``parsed.people`` of the known ones;
    ``linked``: how many of the known ones match a lead without a profile URL by name + company.
    """

    filename: str
    parsed: ParsedUpload
    sha256: str
    new: int
    known: int
    known_indexes: set[int] = field(default_factory=set)
    linked: int = 0

    @property
    def without_url(self) -> int:
        """People of the file without a profile URL (keyed by name + company; live Apify cannot
        enrich them: they are scored on their position and company)."""
        return sum(1 for p in self.parsed.people if not p.has_url)

    @property
    def skipped(self) -> int:
        """Entries of the file that are not stored: rows without any name (``Connections.csv``),
        "LinkedIn Member" cards without a link (pages), lines or links that are no member profile
        (URL lists). Duplicates are merged, not counted here."""
        st = self.parsed.stats
        return sum(int(st.get(k) or 0) for k in ("skipped_no_name", "skipped_headless", "not_profiles", "ignored"))

    @property
    def declared_total(self) -> int | None:
        """The list's size stated in a saved page's header ("1,284 followers"), else None."""
        v = self.parsed.stats.get("declared_total")
        return int(v) if v is not None else None

    def notices(self) -> list[str]:
        """Sentences for the upload preview that the parser's warnings (``parsed.warnings``, shown
        too) do not already say: people without a profile URL, skipped entries, the total a page's
        header states, people linked to a lead by name + company."""
        out: list[str] = []
        n = len(self.parsed.people)
        said = " ".join(self.parsed.warnings)
        if self.without_url and "profile URL" not in said:
            who = ("No one in this file has a profile URL" if self.without_url == n
                   else f"{self.without_url:,} of the {n:,} people in this file have no profile URL")
            out.append(f"{who}: live Apify enrichment cannot look them up, so they are scored on "
                       "their position and company.")
        if self.skipped and "skipped" not in said:
            out.append(f"{self.skipped:,} entr{'y was' if self.skipped == 1 else 'ies were'} skipped "
                       "(no name or no profile link).")
        if self.declared_total is not None and f"{self.declared_total:,}" not in said:
            what = self.parsed.stats.get("declared_total_of") or "people"
            out.append(f"The page header says {self.declared_total:,} {what}; {n:,} were found in the file.")
        if self.linked:
            out.append(f"{self.linked:,} of them match a lead without a profile URL by name and company: "
                       "that lead gets this profile URL (no duplicate).")
        return out


@dataclass
class MergedUpload:
    """The people of several previews, deduplicated on the profile key (first occurrence wins).

    ``people`` in file order; ``known[i]`` tells whether ``people[i]`` is already a lead; ``kinds``
    the kind of each file; ``filenames`` the files merged; ``sha256`` the file digest when there
    is exactly one file, else None.
    """

    people: list[Follower]
    known: list[bool]
    kinds: list[str]
    filenames: list[str]
    sha256: str | None

    @property
    def new_count(self) -> int:
        """People that are not yet leads of the client."""
        return sum(1 for k in self.known if not k)


def merge_previews(previews: Sequence[UploadPreview]) -> MergedUpload:
    """Merge previews of several files into one upload (see :class:`MergedUpload`)."""
    people: list[Follower] = []
    known: list[bool] = []
    seen: set[str] = set()
    for p in previews:
        for i, person in enumerate(p.parsed.people):
            if person.key in seen:
                continue
            seen.add(person.key)
            people.append(person)
            known.append(i in p.known_indexes)
    return MergedUpload(
        people=people, known=known, kinds=[p.parsed.kind for p in previews],
        filenames=[p.filename for p in previews], sha256=previews[0].sha256 if len(previews) == 1 else None,
    )


def name_keys(people: Sequence[Follower]) -> list[str | None]:
    """The linking key of each follower (:func:`icp_engine.enrich.page.follower_linking_key`):
    what leads with and without a profile URL are linked on (``leads.name_key``)."""
    return [follower_linking_key(p) for p in people]


def default_batch_name(filenames: Sequence[str], now: datetime | None = None) -> str:
    """``"followers · 2026-11-21 10:04"`` for one file (name without extension), ``"3 files · ..."`` for several."""
    stem = filenames[0].rsplit("/", 1)[-1].rsplit(".", 1)[0] if len(filenames) == 1 else f"{len(filenames)} files"
    return f"{stem or 'upload'} · {(now or datetime.now()).strftime('%Y-%m-%d %H:%M')}"


class Uploads:
    """Parsing, previewing and storing uploads for the clients of one database."""

    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings

    def parse(self, filename: str, data: bytes, *, max_bytes: int | None = None) -> ParsedUpload:
        """Parse an uploaded file without storing anything: at most ``max_bytes`` (default
        ``Settings.max_upload_bytes``, the dashboard's limit; the CLI passes its own for local files).

        Raises :class:`~icp_engine.ingest.upload.UploadError` with a sentence for the user.
        """
        return parse_upload(filename, data, max_bytes=max_bytes or self.settings.max_upload_bytes)

    def preview(self, client_id: int, filename: str, data: bytes) -> UploadPreview:
        """Parse a file and compare its people with the client's leads; nothing is written.

        Raises :class:`~icp_engine.ingest.upload.UploadError` for bad input.
        """
        parsed = self.parse(filename, data)
        with self.db.connect() as conn:
            split = leads_sql.split_known(conn, client_id, parsed.people, name_keys(parsed.people))
        return UploadPreview(filename=filename, parsed=parsed, sha256=hashlib.sha256(data).hexdigest(),
                             new=len(split.new), known=len(split.known), known_indexes=set(split.known),
                             linked=len(split.relink))

    def store_followers(
        self,
        client_id: int,
        people: Sequence[Follower],
        *,
        batch_name: str,
        source_filename: str = "",
        source_kind: str = "",
        file_sha256: str | None = None,
        author: str = "system",
        warnings: list[str] | None = None,
    ) -> dict[str, Any]:
        """Store followers as a new batch of the client (one transaction).

        Returns the batch row plus ``new_lead_ids``, ``known_lead_ids``, ``kind`` and ``warnings``.
        Raises :class:`InvalidInput` when ``people`` is empty; nothing is written on any error.
        """
        if not people:
            raise InvalidInput("no people to store")
        with self.db.begin() as conn:
            batch = leads_sql.insert_batch_with_leads(
                conn, client_id, people, name=batch_name, source_filename=source_filename,
                source_kind=source_kind, file_sha256=file_sha256, author=author, name_keys=name_keys(people),
            )
        batch["kind"] = source_kind
        batch["warnings"] = warnings or []
        return batch

    def store(self, client_id: int, previews: Sequence[UploadPreview], *, batch_name: str | None = None,
              author: str = "system") -> dict[str, Any]:
        """Store the merged people of these previews as one batch (what was previewed is stored: no
        second parse). ``batch_name`` defaults to :func:`default_batch_name`. Returns the batch row
        as :meth:`store_followers` does; ``source_kind`` joins the files' kinds with ``+``."""
        if not previews:
            raise InvalidInput("no file to store")
        merged = merge_previews(previews)
        return self.store_followers(
            client_id, merged.people, batch_name=(batch_name or "").strip() or default_batch_name(merged.filenames),
            source_filename=", ".join(merged.filenames), source_kind="+".join(sorted(set(merged.kinds))),
            file_sha256=merged.sha256, author=author,
            warnings=[w for p in previews for w in p.parsed.warnings],
        )

    def save_apify_items(self, filename: str, data: bytes) -> str:
        """Keep an uploaded Apify dataset file under ``<ICP_DATA_DIR>/uploads`` (content-addressed:
        named by its SHA-256) and return its path, for a run's ``profiles_path``."""
        folder = Path(self.settings.icp_data_dir) / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in filename)[-80:]
        path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}-{safe}"
        # written again when an erasure rewrote the kept copy (then its content no longer has that hash)
        if not path.exists() or hashlib.sha256(path.read_bytes()).digest() != hashlib.sha256(data).digest():
            path.write_bytes(data)
        return str(path)


    # ------------------------------------------------------------ deleting a batch

    def batch_deletion(self, batch_id: int) -> dict[str, Any]:
        """What deleting a batch would do: its row plus ``leads_only_here`` (deleted with their scores
        and labels) and ``leads_elsewhere`` (also in another upload: kept). Raises ``NotFound``."""
        with self.db.connect() as conn:
            return leads_sql.batch_deletion(conn, batch_id)

    def delete_batch(self, batch_id: int, *, author: Any = "system") -> dict[str, Any]:
        """Delete an upload (one transaction): leads found only in it go with their scores, vectors
        and review labels, leads also in another upload stay, the batch's runs go too; audited as
        ``batch.delete``. Returns :meth:`batch_deletion` as it was.

        Raises :class:`~icp_engine.errors.PermissionDenied` for a signed-in account that may not
        delete data (admins may, as for deleting a client), :class:`~icp_engine.errors.RunConflict`
        while a run of the batch is queued, running or paused, ``NotFound`` for an unknown batch.
        """
        from .auth import Permission, User, actor_fields
        from .db import audit as audit_sql
        from .db import clients as clients_sql
        from .db import runs as runs_sql

        if isinstance(author, User) and not author.can(Permission.DELETE_DATA):
            raise PermissionDenied("only an admin may delete data")
        with self.db.begin() as conn:
            info = leads_sql.batch_deletion(conn, batch_id)
            clients_sql.lock_client(conn, info["client_id"])
            busy = runs_sql.unfinished_runs(conn, info["client_id"], batch_id)
            if busy:
                raise RunConflict(busy[0])
            done = leads_sql.delete_batch(conn, batch_id)
            who, who_id = actor_fields(author)
            audit_sql.record(conn, actor=who, actor_id=who_id, action="batch.delete", target_type="batch",
                             target_id=batch_id, details={"client_id": info["client_id"],
                                                          "leads_deleted": done["leads_only_here"],
                                                          "leads_kept": done["leads_elsewhere"]})
            return done
