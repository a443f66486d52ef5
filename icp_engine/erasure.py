"""Erasure: forget one person everywhere, delete a client with everything, purge expired profiles.

**Forget a person** (:meth:`Erasure.forget_person`, CLI ``python -m icp_engine forget URL --yes``):
the profile URL gives the person's identifiers (profile key, ``ACoAA…`` id, vanity; see
:mod:`icp_engine.ingest.profile_url`), widened by the aliases the stored leads and cached profiles
hold. Removed, in one transaction:

* the person's leads in every client, with their scores, review labels, whole-profile vectors
  (``lead_embeddings``) and batch memberships;
* the shared profile cache rows (``profile_cache``);
* per-person texts of the embedding cache (``text_embeddings``): a text that names the person
  (their name, vanity or profile id as whole words) or that is one of their whole texts (headline,
  summary, whole-profile text, also as the scorer normalises a title). Generic fragments (a
  title such as "CFO" shared by many people) are not personal data and stay;
* the person's input URLs and lead ids in Apify ledger rows (the rows stay: they record what was
  paid);
* the person's items in uploaded Apify dataset files under ``<ICP_DATA_DIR>/uploads`` (a file
  left with no item is deleted).

The audit trail gets one entry with the counts, never the URL or the name.

**Delete a client** (:meth:`Erasure.delete_client`, CLI ``clients delete NAME --yes``): the client's
ICP versions, batches, leads (scores, labels, vectors), runs and their Apify ledger rows go; the
people who are leads of no other client are also removed from the profile cache, the embedding
cache and uploaded files as above. Other clients' rows are not touched.

**Profile-cache TTL** (:meth:`Erasure.purge_expired_profiles`): rows older than
``Settings.profile_cache_ttl_days`` (30) are deleted, not only ignored; the engine calls it on
start and before every run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .auth import Actor, User, actor_fields
from .config import Settings
from .db import Database
from .db import audit as audit_sql
from .db import erasure as sql
from .errors import InvalidInput, NotFound, PermissionDenied

__all__ = ["ClientDeletion", "Erasure", "ForgetReport", "PersonIdentity"]

_WORD = re.compile(r"[^\W_]+")


def _tokens(text: str | None) -> tuple[str, ...]:
    return tuple(_WORD.findall((text or "").casefold()))


@dataclass
class PersonIdentity:
    """Everything that identifies one or more people in stored rows: ``keys`` (profile keys),
    ``profile_ids`` (``ACoAA…``), ``vanities``, ``names`` and their whole ``texts`` (headline,
    summary, whole-profile text) as found on their leads."""

    keys: set[str] = field(default_factory=set)
    profile_ids: set[str] = field(default_factory=set)
    vanities: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)

    @classmethod
    def from_url(cls, profile_url: str) -> PersonIdentity:
        """The identifiers in a LinkedIn profile URL; raises :class:`InvalidInput` when it is not one."""
        from .ingest.profile_url import profile_ref

        ref = profile_ref((profile_url or "").strip())
        if ref is None:
            raise InvalidInput("that is not a LinkedIn profile URL (https://www.linkedin.com/in/…)")
        ident = cls(keys={ref.key})
        if ref.profile_id:
            ident.profile_ids.add(ref.profile_id)
        if ref.vanity:
            ident.vanities.add(ref.vanity)
        return ident

    @property
    def identifiers(self) -> set[str]:
        """Keys, profile ids and vanities together."""
        return self.keys | self.profile_ids | self.vanities

    def add_lead(self, row: dict[str, Any]) -> None:
        """Widen with a lead row's identifiers, name and whole texts."""
        from .domain import Profile
        from .pipeline import profile_text

        for attr, col in (("keys", "profile_key"), ("profile_ids", "profile_id"), ("vanities", "vanity")):
            if row.get(col):
                getattr(self, attr).add(str(row[col]))
        if row.get("name"):
            self.names.add(str(row["name"]))
        for col in ("headline", "summary"):
            if row.get(col):
                self.texts.add(str(row[col]))
        if row.get("headline"):
            self.texts.add(str(row["headline"])[:120])
        whole = profile_text(Profile(name=row.get("name"), headline=row.get("headline"), titles=list(row.get("titles") or []),
                                     company=row.get("company"), industry=row.get("industry")))
        if whole:
            self.texts.add(whole)

    def add_cache_row(self, row: dict[str, Any]) -> None:
        """Widen with a profile-cache row's identifiers."""
        if row.get("profile_key"):
            self.keys.add(str(row["profile_key"]))
        if row.get("profile_id"):
            self.profile_ids.add(str(row["profile_id"]))
        if row.get("vanity"):
            self.vanities.add(str(row["vanity"]))

    def matches_item(self, item: dict[str, Any]) -> bool:
        """True when a scraped (Apify) item is one of these people (profile id, vanity or input URL)."""
        from .enrich.extract import item_keys
        from .enrich.matching import url_identity

        pid, vanity, input_url = item_keys(item)
        if (pid and pid in self.profile_ids) or (vanity and vanity in self.vanities | self.keys):
            return True
        key, alias = url_identity(input_url)
        return bool((key and key in self.identifiers) or (alias and alias in self.profile_ids))

    def matches_url(self, url: Any) -> bool:
        """True when a URL (as sent to a scraper) is one of these people's profile links."""
        from .enrich.matching import url_identity

        key, alias = url_identity(url if isinstance(url, str) else None)
        return bool((key and key in self.identifiers) or (alias and alias in self.profile_ids))


class _TextMatcher:
    """Which cached texts are per-person: equal (as word sequences) to a whole text of a person, or
    containing a person's name, vanity or profile id as a whole-word sequence."""

    def __init__(self, ident: PersonIdentity):
        from .scoring.titles import normalize_title

        self.exact: set[tuple[str, ...]] = set()
        for t in ident.texts:
            for form in (t, normalize_title(t)):
                tok = _tokens(form)
                if tok:
                    self.exact.add(tok)
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        for s in (*ident.names, *ident.vanities, *ident.profile_ids, *ident.keys):
            tok = _tokens(s)
            if tok and len("".join(tok)) >= 4:
                self.by_first.setdefault(tok[0], []).append(tok)

    def __call__(self, text: str) -> bool:
        tok = _tokens(text)
        if not tok:
            return False
        if tok in self.exact:
            return True
        for i, w in enumerate(tok):
            for seq in self.by_first.get(w, ()):
                if tok[i:i + len(seq)] == seq:
                    return True
        return False


@dataclass
class ForgetReport:
    """What :meth:`Erasure.forget_person` removed (counts; ``clients``: ids of the clients whose
    leads were removed)."""

    leads: int = 0
    clients: list[int] = field(default_factory=list)
    scores: int = 0
    labels: int = 0
    vectors: int = 0
    batch_memberships: int = 0
    profile_cache: int = 0
    cached_texts: int = 0
    apify_ledger_rows: int = 0
    uploaded_files_changed: int = 0
    uploaded_files_deleted: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The counts as a plain dict (what the audit entry stores)."""
        return dict(self.__dict__)

    @property
    def found(self) -> bool:
        """True when anything of the person was stored."""
        return any(v for k, v in self.as_dict().items() if k != "clients")

    def lines(self) -> list[str]:
        """One sentence per kind of data removed, for the CLI and the dashboard."""
        c = self.as_dict()
        words = {
            "leads": "lead(s) in {n} client(s)", "scores": "score(s)", "labels": "review label(s)",
            "vectors": "whole-profile vector(s)", "batch_memberships": "batch membership(s)",
            "profile_cache": "cached profile(s)", "cached_texts": "cached embedding text(s)",
            "apify_ledger_rows": "Apify ledger row(s) cleaned of the person's URLs and lead ids",
            "uploaded_files_changed": "uploaded Apify file(s) rewritten without the person",
            "uploaded_files_deleted": "uploaded Apify file(s) deleted (only this person)",
        }
        return [f"{c[k]} " + w.format(n=len(self.clients)) for k, w in words.items() if c[k]]


@dataclass
class ClientDeletion:
    """What :meth:`Erasure.delete_client` removed: the client's own rows (``counts``: icp_versions,
    batches, leads, runs, labels, scores, vectors, apify_runs) and, for people who were leads of
    this client only, the shared traces (``shared``: a :class:`ForgetReport` without leads)."""

    client_id: int
    counts: dict[str, int]
    shared: ForgetReport

    def lines(self) -> list[str]:
        """One sentence per kind of data removed."""
        names = {"icp_versions": "ICP version(s)", "batches": "upload batch(es)", "leads": "lead(s)",
                 "runs": "run(s)", "labels": "review label(s)", "scores": "score(s)", "vectors": "vector(s)",
                 "apify_runs": "Apify ledger row(s)"}
        out = [f"{self.counts.get(k, 0)} {w}" for k, w in names.items() if self.counts.get(k)]
        s = self.shared
        for k, w in (("profile_cache", "cached profile(s) of people only this client had"),
                     ("cached_texts", "cached embedding text(s) of those people"),
                     ("apify_ledger_rows", "other Apify ledger row(s) cleaned"),
                     ("uploaded_files_changed", "uploaded Apify file(s) rewritten"),
                     ("uploaded_files_deleted", "uploaded Apify file(s) deleted")):
            if getattr(s, k):
                out.append(f"{getattr(s, k)} {w}")
        return out


class Erasure:
    """Erasure on one database and data folder (``Erasure(db, settings)``).

    An acting :class:`~icp_engine.auth.User` must hold ``delete_data`` (admins); a string actor
    (``"cli"``) is trusted. Raises :class:`InvalidInput` for a bad URL, :class:`NotFound` for an
    unknown client, :class:`PermissionDenied` for a reviewer.
    """

    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded Apify dataset files are kept (``<ICP_DATA_DIR>/uploads``)."""
        return Path(self.settings.icp_data_dir) / "uploads"

    @staticmethod
    def _check(actor: Actor | None) -> None:
        if isinstance(actor, User):
            from .auth import Permission

            if not actor.can(Permission.DELETE_DATA):
                raise PermissionDenied("only an admin may delete data")

    # ------------------------------------------------------------ shared traces of people
    def _shared_traces(self, conn: Any, ident: PersonIdentity, lead_ids: list[int], report: ForgetReport) -> None:
        """Profile cache, embedding-cache texts and Apify ledger person data of ``ident``."""
        cache = sql.profile_cache_rows(conn, ident.keys, ident.profile_ids, ident.vanities)
        for row in cache:
            ident.add_cache_row(row)
        report.profile_cache = sql.delete_profile_cache(conn, [r["profile_key"] for r in cache])

        matcher = _TextMatcher(ident)
        doomed = [(m, sha) for m, sha, text in sql.text_embedding_texts(conn) if matcher(text)]
        report.cached_texts = sql.delete_text_embeddings(conn, doomed)

        fragments = {f"/in/{k}" for k in ident.identifiers if len(k) >= 3}
        gone = set(lead_ids)
        for row in sql.ledger_rows_touching(conn, lead_ids, fragments):
            urls = [u for u in (row["input_urls"] or []) if not ident.matches_url(u)]
            keep_ids = [i for i in (row["lead_ids"] or []) if i not in gone]
            if len(urls) != len(row["input_urls"] or []) or len(keep_ids) != len(row["lead_ids"] or []):
                sql.set_ledger_people(conn, row["id"], urls, keep_ids)
                report.apify_ledger_rows += 1

    def _scrub_files(self, ident: PersonIdentity, report: ForgetReport, only: Iterable[str] | None = None) -> None:
        """Remove the people's items from uploaded Apify files (all files, or the paths in ``only``)."""
        from .enrich.apify_json import ApifyExportError, load_items

        folder = self.uploads_dir
        paths = [Path(p) for p in only] if only is not None else (sorted(folder.glob("*")) if folder.is_dir() else [])
        for path in paths:
            if not path.is_file():
                continue
            try:
                items = load_items(path)
            except ApifyExportError:
                continue
            keep = [it for it in items if not ident.matches_item(it)]
            if len(keep) == len(items):
                continue
            if keep:
                tmp = path.with_name(path.name + ".tmp")
                tmp.write_text(json.dumps(keep, ensure_ascii=False), encoding="utf-8")
                tmp.replace(path)
                report.uploaded_files_changed += 1
            else:
                path.unlink()
                report.uploaded_files_deleted += 1

    # ------------------------------------------------------------ forget a person
    def forget_person(self, profile_url: str, *, actor: Actor | None = None) -> ForgetReport:
        """Remove the person behind ``profile_url`` everywhere (see the module docstring); returns
        what was removed (all zero when nothing was stored)."""
        self._check(actor)
        ident = PersonIdentity.from_url(profile_url)
        report = ForgetReport()
        with self.db.begin() as conn:
            rows = sql.leads_of_person(conn, ident.keys, ident.profile_ids, ident.vanities)
            for r in rows:
                ident.add_lead(r)
            # aliases found on the leads may reach leads of other clients stored under another key
            more = sql.leads_of_person(conn, ident.keys, ident.profile_ids, ident.vanities)
            seen = {r["id"] for r in rows}
            for r in more:
                if r["id"] not in seen:
                    ident.add_lead(r)
                    rows.append(r)
            lead_ids = [int(r["id"]) for r in rows]
            dep = sql.lead_dependants(conn, lead_ids)
            report.leads = sql.delete_leads(conn, lead_ids)
            report.clients = sorted({int(r["client_id"]) for r in rows})
            report.scores, report.labels = dep["scores"], dep["labels"]
            report.vectors, report.batch_memberships = dep["vectors"], dep["batch_memberships"]
            self._shared_traces(conn, ident, lead_ids, report)
            who, who_id = actor_fields(actor)
            details = report.as_dict()
            audit_sql.record(conn, actor=who, actor_id=who_id, action="person.forget", target_type="person",
                             details=details)
        self._scrub_files(ident, report)
        return report

    # ------------------------------------------------------------ delete a client
    def delete_client(self, client: int | str, *, actor: Actor | None = None) -> ClientDeletion:
        """Delete a client (by id or exact name) with everything it holds (see the module docstring)."""
        from .db import clients as clients_sql

        self._check(actor)
        with self.db.begin() as conn:
            row = clients_sql.get_client(conn, client)
            cid = int(row["id"])
            counts = sql.client_counts(conn, cid)
            rows = sql.client_leads(conn, cid)
            ident_all = PersonIdentity()
            for r in rows:
                ident_all.add_lead(r)
            shared_keys = sql.keys_of_other_clients(conn, cid, ident_all.identifiers)
            only_here = PersonIdentity()
            for r in rows:
                if not ({r["profile_key"], r["profile_id"], r["vanity"]} - {None}) & shared_keys:
                    only_here.add_lead(r)
            files = sorted({p for c, p in sql.client_profiles_paths(conn, cid)}
                           - {p for c, p in sql.client_profiles_paths(conn) if c != cid})
            if not sql.delete_client(conn, cid):
                raise NotFound(f"no client {client!r}")
            shared = ForgetReport()
            self._shared_traces(conn, only_here, [int(r["id"]) for r in rows], shared)
            who, who_id = actor_fields(actor)
            audit_sql.record(conn, actor=who, actor_id=who_id, action="client.delete", target_type="client",
                             target_id=cid, details={**counts, **{f"shared_{k}": v for k, v in shared.as_dict().items()
                                                                    if k not in ("leads", "clients")}})
        self._scrub_files(only_here, shared)
        for p in files:  # the client's own uploaded item files, used by no other client
            path = Path(p)
            if path.is_file() and path.resolve().parent == self.uploads_dir.resolve():
                path.unlink()
                shared.uploaded_files_deleted += 1
        return ClientDeletion(client_id=cid, counts=counts, shared=shared)

    # ------------------------------------------------------------ cache TTL
    def purge_expired_profiles(self) -> int:
        """Delete profile-cache rows older than ``profile_cache_ttl_days``; returns how many."""
        with self.db.begin() as conn:
            return sql.purge_expired_profiles(conn, self.settings.profile_cache_ttl_days)
