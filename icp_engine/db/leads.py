"""SQL of leads and batches (tables ``leads``, ``batches``, ``batch_members``).

Uploads (one transaction per batch: all or nothing), the lead state machine of a run
(``discovered`` -> ``enriched`` / ``failed`` -> ``qualified`` -> ``exported``, see
:class:`~icp_engine.enums.LeadStatus`), and the scope of "this client" or "this batch".
Every function takes an open ``Connection`` inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain import Follower, is_name_key
from ..enums import LeadStatus
from ._util import Row, any_of, as_dicts, copy_into_temp
from .schema import batch_members, batches, lead_embeddings, lead_scores, leads

L, B, M = leads.c, batches.c, batch_members.c
bp = sa.bindparam


def scope_condition(client_id: int, batch_id: int | None) -> sa.ColumnElement[bool]:
    """SQL condition selecting the leads of a client, or of one batch (its members, new and known)."""
    cond = L.client_id == client_id
    if batch_id is not None:
        cond = sa.and_(cond, L.id.in_(sa.select(M.lead_id).where(M.batch_id == batch_id)))
    return cond


# ---------------------------------------------------------------- uploads


@dataclass
class KnownSplit:
    """Followers of an upload split into new ones and ones already leads of the client.

    ``new``: indexes in ``people``; ``known`` maps an index in ``people`` to the existing lead id.
    ``relink``: the subset of ``known`` matched only by name + company: a follower *with* a
    profile URL whose linking key equals the key of a lead without one (an earlier
    ``Connections.csv`` export without URLs). Storing the upload gives that lead the follower's key
    and URLs (see :func:`insert_batch_with_leads`).
    """

    new: list[int] = field(default_factory=list)
    known: dict[int, int] = field(default_factory=dict)
    relink: dict[int, int] = field(default_factory=dict)


def split_known(
    conn: Connection, client_id: int, people: Sequence[Follower], name_keys: Sequence[str | None] | None = None
) -> KnownSplit:
    """Which followers are already leads of this client.

    Matched on the profile key, profile id or vanity first; then, with ``name_keys`` (one linking
    key per follower, :func:`icp_engine.enrich.page.follower_linking_key`, or None):

    * a follower with a URL whose name key is the ``profile_key`` of a lead without a URL
      (``name:`` key) is that lead (``relink``);
    * a follower without a URL (``name:`` key) matches the one lead with a URL whose
      ``name_key`` equals its key; several such leads (namesakes at one company) -> no match.

    Each existing lead is matched by at most one follower through a name key.
    """
    found: dict[str, int] = {}
    if people:
        rows = conn.execute(
            sa.select(L.id, L.profile_key, L.profile_id, L.vanity).where(
                L.client_id == client_id,
                sa.or_(
                    L.profile_key == any_of("keys", sorted({p.key for p in people})),
                    L.profile_id == any_of("ids", sorted({p.profile_id for p in people if p.profile_id})),
                    L.vanity == any_of("vanities", sorted({p.vanity for p in people if p.vanity})),
                ),
            )
        ).all()
        for r in rows:
            for k in (r.profile_key, r.profile_id, r.vanity):
                if k:
                    found.setdefault(k, r.id)
    out = KnownSplit()
    unmatched: list[int] = []
    for i, p in enumerate(people):
        lead_id = found.get(p.key) or (found.get(p.profile_id) if p.profile_id else None) or (
            found.get(p.vanity) if p.vanity else None
        )
        if lead_id is None:
            unmatched.append(i)
        else:
            out.known[i] = lead_id
    if name_keys is not None and unmatched:
        _link_by_name(conn, client_id, people, name_keys, unmatched, out)
    out.new = [i for i in unmatched if i not in out.known]
    return out


def _link_by_name(conn: Connection, client_id: int, people: Sequence[Follower], name_keys: Sequence[str | None],
                  unmatched: list[int], out: KnownSplit) -> None:
    with_url = {i: name_keys[i] for i in unmatched if name_keys[i] and not is_name_key(people[i].key)}
    without_url = {i: people[i].key for i in unmatched if is_name_key(people[i].key)}
    taken = set(out.known.values())
    if with_url:
        nameless = dict(conn.execute(
            sa.select(L.profile_key, L.id).where(
                L.client_id == client_id, L.profile_key == any_of("nks", sorted({k for k in with_url.values() if k}))
            )
        ).all())
        for i, k in with_url.items():
            lid = nameless.get(k)
            if lid is not None and lid not in taken:
                out.known[i] = out.relink[i] = lid
                taken.add(lid)
    if without_url:
        hits: dict[str, list[int]] = {}
        for nk, lid in conn.execute(
            sa.select(L.name_key, L.id).where(
                L.client_id == client_id, L.name_key == any_of("nks2", sorted(set(without_url.values()))),
                ~L.profile_key.startswith("name:"),
            )
        ).all():
            hits.setdefault(nk, []).append(lid)
        for i, k in without_url.items():
            lids = hits.get(k, [])
            if len(lids) == 1 and lids[0] not in taken:
                out.known[i] = lids[0]
                taken.add(lids[0])


def insert_batch_with_leads(
    conn: Connection,
    client_id: int,
    people: Sequence[Follower],
    *,
    name: str,
    source_filename: str,
    source_kind: str,
    file_sha256: str | None,
    author: str,
    name_keys: Sequence[str | None] | None = None,
) -> Row:
    """Create a batch, insert the new leads, record every follower as a batch member.

    ``name_keys``: one linking key per follower (stored in ``leads.name_key`` and used to link
    leads with and without a profile URL, see :func:`split_known`); None stores none.
    A known lead learns the aliases of this upload (profile id, vanity; name, headline and
    location when it had none). A lead without a URL matched by a follower with one
    (``KnownSplit.relink``) takes that follower's key, URLs and headline; when its data came only
    from an upload (never enriched by a provider with profile data) it is also put back to
    ``discovered`` with its classification, scores and vectors removed, so the next run of this
    batch enriches it from its URL (live Apify can) and scores it again; its review labels stay.

    Returns the batch row plus ``new_lead_ids`` / ``known_lead_ids`` / ``relinked_lead_ids``. Runs
    inside the caller's transaction: on any error nothing is written.
    """
    split = split_known(conn, client_id, people, name_keys)
    batch = conn.execute(
        batches.insert()
        .values(
            client_id=client_id, name=name, source_filename=source_filename, source_kind=source_kind,
            file_sha256=file_sha256, people_in_file=len(people), new_leads=len(split.new),
            known_leads=len(split.known), created_by=author,
        )
        .returning(*batches.c)
    ).mappings().one()
    new_ids: list[int] = []
    if split.new:
        rows = [_lead_values(client_id, batch["id"], people[i], name_keys[i] if name_keys else None)
                for i in split.new]
        got = _copy_insert_returning(
            conn, "leads", rows, conflict="(client_id, profile_key) DO NOTHING", returning=("id", "profile_key")
        )
        keyed = {key: lid for lid, key in got}
        for v in rows:
            lid = keyed.get(v["profile_key"])
            if lid is None:  # a concurrent upload inserted the same person first: keep theirs
                lid = conn.execute(
                    sa.select(L.id).where(L.client_id == client_id, L.profile_key == v["profile_key"])
                ).scalar_one()
            new_ids.append(lid)
    lead_for_index: dict[int, int] = dict(zip(split.new, new_ids, strict=True))
    lead_for_index.update(split.known)
    members = []
    seen: set[int] = set()
    for i in range(len(people)):
        lid = lead_for_index[i]
        if lid in seen:
            continue
        seen.add(lid)
        members.append({"batch_id": batch["id"], "lead_id": lid, "position": i, "is_new": i not in split.known})
    _copy_insert_returning(conn, "batch_members", members)
    analyze_if_grown(conn, len(new_ids))
    if split.relink:
        _relink(conn, split.relink, people, name_keys)
    # fill aliases learnt from this upload into known leads (e.g. a vanity for a URN-only lead)
    plain = {i: lid for i, lid in split.known.items() if i not in split.relink}
    if plain:
        conn.execute(
            leads.update()
            .where(L.id == bp("b_id"))
            .values(
                profile_id=sa.func.coalesce(L.profile_id, bp("b_profile_id")),
                vanity=sa.func.coalesce(L.vanity, bp("b_vanity")),
                name=sa.func.coalesce(L.name, bp("b_name")),
                headline=sa.func.coalesce(L.headline, bp("b_headline")),
                location=sa.func.coalesce(L.location, bp("b_location")),
                name_key=sa.func.coalesce(L.name_key, bp("b_name_key")),
            ),
            [
                {"b_id": lid, "b_profile_id": people[i].profile_id, "b_vanity": people[i].vanity,
                 "b_name": people[i].name, "b_headline": people[i].headline, "b_location": people[i].location,
                 "b_name_key": name_keys[i] if name_keys else None}
                for i, lid in plain.items()
            ],
        )
    out = dict(batch)
    out["new_lead_ids"] = new_ids
    out["known_lead_ids"] = list(split.known.values())
    out["relinked_lead_ids"] = list(split.relink.values())
    return out


#: :func:`analyze_if_grown` refreshes the planner's statistics when an upload adds at least this many leads.
ANALYZE_MIN_ROWS = 1000

#: The columns whose statistics the run's queries depend on (a scope's leads by client, batch and
#: status, in id order); the others (texts, arrays, vectors) change their statistics little from
#: one upload to the next and cost most of a whole-table ``ANALYZE``.
ANALYZE_COLUMNS = {"leads": ("id", "client_id", "status"), "batch_members": ("batch_id", "lead_id")}


def analyze_if_grown(conn: Connection, new_rows: int) -> bool:
    """``ANALYZE`` the scope columns of ``leads`` and ``batch_members`` (:data:`ANALYZE_COLUMNS`)
    when ``new_rows`` new leads are many (:data:`ANALYZE_MIN_ROWS`); True if it ran.

    Why: autovacuum analyses a table at most once a minute, but a run starts seconds after its
    upload. With statistics from before a 10,000-lead upload, the planner took the new client's
    leads for a handful of rows and chose nested loops: a run's first query took 6.5 s instead of
    0.06 s, each progress count 3-8 s (measured on 10k and 50k uploads). This holds however large
    the table already is (a 10,000-lead client added to 150,000 leads of others: the run's
    estimate took 3 s, its progress counts 4 s, its chunk reads up to 8 s each). ``ANALYZE``
    samples at most 30,000 rows whatever the table's size, and these columns alone take 0.12-0.15 s
    where the whole rows took 0.5-0.75 s (160,000 leads); it may run inside the upload's
    transaction, which it sees.
    """
    if new_rows < ANALYZE_MIN_ROWS:
        return False
    for table, cols in ANALYZE_COLUMNS.items():
        conn.exec_driver_sql(f"ANALYZE {table} ({', '.join(cols)})")
    return True


#: ``enrichment_source`` values of leads whose data came only from an upload (no provider data).
UPLOAD_ONLY_SOURCES = ("page", "connections")


def _relink(conn: Connection, relink: dict[int, int], people: Sequence[Follower],
            name_keys: Sequence[str | None] | None) -> None:
    """Give leads without a URL the key and URLs of the follower that matched them by name."""
    conn.execute(
        leads.update()
        .where(L.id == bp("b_id"))
        .values(
            profile_key=bp("b_key"), profile_url=bp("b_profile_url"), input_url=bp("b_url"),
            profile_id=sa.func.coalesce(bp("b_profile_id"), L.profile_id),
            vanity=sa.func.coalesce(bp("b_vanity"), L.vanity),
            name=sa.func.coalesce(L.name, bp("b_name")),
            headline=sa.func.coalesce(bp("b_headline"), L.headline),
            location=sa.func.coalesce(bp("b_location"), L.location),
            name_key=sa.func.coalesce(bp("b_name_key"), L.name_key),
            updated_at=sa.func.now(),
        ),
        [
            {"b_id": lid, "b_key": people[i].key, "b_profile_url": people[i].profile_url, "b_url": people[i].url,
             "b_profile_id": people[i].profile_id, "b_vanity": people[i].vanity, "b_name": people[i].name,
             "b_headline": people[i].headline, "b_location": people[i].location,
             "b_name_key": name_keys[i] if name_keys else None}
            for i, lid in relink.items()
        ],
    )
    upload_only = sa.or_(L.enrichment_source.is_(None), L.enrichment_source.in_(UPLOAD_ONLY_SOURCES))
    ids = [int(r) for r in conn.execute(
        sa.select(L.id).where(L.id == any_of("ids", sorted(set(relink.values())), sa.BigInteger), upload_only)
    ).scalars()]
    reset_for_enrichment(conn, ids)


def reset_for_enrichment(conn: Connection, lead_ids: Sequence[int]) -> None:
    """Put leads back to ``discovered`` (fresh attempt count) with their enrichment note,
    classification, scores (every ICP version) and whole-profile vectors removed, so the next run
    enriches, classifies and scores them again. Review labels stay."""
    if not lead_ids:
        return
    ids = [int(i) for i in lead_ids]
    conn.execute(
        leads.update()
        .where(L.id == any_of("ids", ids, sa.BigInteger))
        .values(status=LeadStatus.DISCOVERED, retry_count=0, error_message=None, enrichment_note=None,
                industry_class=None, company_type=None, classification_reason=None, classification_source=None,
                industry_guess=None, industry_source=None, company_type_source=None, company_type_is_guess=False,
                updated_at=sa.func.now())
    )
    conn.execute(lead_scores.delete().where(lead_scores.c.lead_id == any_of("ids", ids, sa.BigInteger)))
    conn.execute(lead_embeddings.delete().where(lead_embeddings.c.lead_id == any_of("ids", ids, sa.BigInteger)))


def _copy_insert_returning(
    conn: Connection,
    table: str,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: str | None = None,
    returning: tuple[str, ...] = (),
) -> list[tuple[Any, ...]]:
    """Bulk insert with ``COPY`` into a temporary table, then one ``INSERT ... SELECT``.

    Several times faster than multi-row INSERTs for tens of thousands of rows (50k leads: the
    statement text and its parameters are never built). Runs in the caller's transaction; the
    temporary table is dropped at commit. ``conflict`` is the text after ``ON CONFLICT``;
    returns the ``returning`` columns of the inserted rows.
    """
    if not rows:
        return []
    cols = list(rows[0])
    col_list = ", ".join(cols)
    tmp = f"_bulk_{table}"
    # same column types, no constraints or defaults; dropped at commit
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {tmp}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT {col_list} FROM {table} WITH NO DATA")
    raw: Any = conn.connection.driver_connection  # psycopg 3 connection, same transaction
    with raw.cursor() as cur, cur.copy(f"COPY {tmp} ({col_list}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row([r[c] for c in cols])
    sql = f"INSERT INTO {table} ({col_list}) SELECT {col_list} FROM {tmp}"
    if conflict:
        sql += f" ON CONFLICT {conflict}"
    if returning:
        sql += " RETURNING " + ", ".join(returning)
    result = conn.exec_driver_sql(sql)  # SQLAlchemy wraps errors (IntegrityError, ...)
    return [tuple(r) for r in result] if returning else []


def _lead_values(client_id: int, batch_id: int, p: Follower, name_key: str | None = None) -> dict[str, Any]:
    """``leads`` columns of a new lead from a follower (``name_key``: its linking key)."""
    return {
        "client_id": client_id, "batch_id": batch_id, "profile_key": p.key, "profile_id": p.profile_id,
        "vanity": p.vanity, "profile_url": p.profile_url, "input_url": p.url, "name": p.name,
        "headline": p.headline, "location": p.location, "degree": p.degree, "company": p.company,
        "titles": [p.title] if p.title else [], "name_key": name_key,
    }


def list_batches(conn: Connection, client_id: int) -> list[Row]:
    """Batches of a client (full rows), newest first."""
    rows = conn.execute(
        sa.select(batches).where(B.client_id == client_id).order_by(B.created_at.desc(), B.id.desc())
    ).mappings()
    return as_dicts(rows)


# ---------------------------------------------------------------- lead state


def retry_failed(conn: Connection, client_id: int, batch_id: int | None) -> int:
    """Put ``failed`` leads of a scope back to ``discovered`` for another enrichment attempt; returns
    how many. They were qualified on the upload's data: their classification, scores and vectors
    are removed (:func:`reset_for_enrichment`) so the run that retries them scores them again."""
    ids = [int(i) for i in conn.execute(
        sa.select(L.id).where(scope_condition(client_id, batch_id), L.status == LeadStatus.FAILED)
    ).scalars()]
    reset_for_enrichment(conn, ids)
    return len(ids)


def mark_exported(conn: Connection, lead_ids: Sequence[int]) -> None:
    """Set status ``exported`` (and ``exported_at``) on qualified leads (one statement, one array parameter)."""
    conn.execute(
        leads.update()
        .where(L.id == any_of("ids", [int(i) for i in lead_ids], sa.BigInteger),
               L.status.in_((LeadStatus.QUALIFIED, LeadStatus.EXPORTED)))
        .values(status=LeadStatus.EXPORTED, exported_at=sa.func.now(), updated_at=sa.func.now())
    )


#: ``enrichment_source`` values of leads whose data came only from an upload (no provider data).
UPLOAD_ONLY_SOURCES = ("page", "connections")


def upload_data_only() -> sa.ColumnElement[bool]:
    """Leads past enrichment whose data came only from the upload (page data, a Connections.csv):
    what a provider with real profile data (an Apify export, live Apify) can improve. ``failed``
    leads are left to "Retry failed leads"."""
    return sa.and_(
        L.status.in_((LeadStatus.ENRICHED, LeadStatus.QUALIFIED, LeadStatus.EXPORTED)),
        sa.or_(L.enrichment_source.is_(None), L.enrichment_source.in_(UPLOAD_ONLY_SOURCES)),
    )


def _to_enrich_condition(client_id: int, batch_id: int | None, upgrade: bool,
                         exclude: Sequence[int] = ()) -> sa.ColumnElement[bool]:
    return sa.and_(scope_condition(client_id, batch_id), pending_enrichment(upgrade=upgrade, exclude=exclude))


def count_to_enrich(conn: Connection, client_id: int, batch_id: int | None, *, upgrade: bool = False) -> int:
    """Leads of a scope still ``discovered`` (what the enrich stage would work on); with ``upgrade``
    also those with upload data only (:func:`upload_data_only`), which a provider with profile data
    enriches again."""
    return int(conn.execute(
        sa.select(sa.func.count()).where(_to_enrich_condition(client_id, batch_id, upgrade))
    ).scalar_one())


def to_enrich(conn: Connection, client_id: int, batch_id: int | None, *, upgrade: bool = False,
              exclude: Sequence[int] = ()) -> list[Any]:
    """``discovered`` leads of a scope (with ``upgrade`` also the leads with upload data only,
    except the ids in ``exclude``) in id order: ``id, profile_key, input_url, profile_id, vanity,
    name, headline, location, company, titles, status, company_size, industry`` (what an
    enrichment request needs, and what re-enrichment compares)."""
    return list(conn.execute(
        sa.select(L.id, L.profile_key, L.input_url, L.profile_id, L.vanity, L.name, L.headline,
                  L.location, L.company, L.titles, L.status, L.company_size, L.industry)
        .where(_to_enrich_condition(client_id, batch_id, upgrade, exclude))
        .order_by(L.id)
    ).all())


def scope_counts(conn: Connection, client_id: int, batch_id: int | None, icp_version_id: int) -> dict[str, int]:
    """Counts of a scope before a run: ``{"leads", "discovered", "failed", "scored" (with an
    up-to-date score of the version), "unscored" (not failed, without one), "upload_only" (past
    enrichment with upload data only, :func:`upload_data_only`), "upload_only_scored" (of those,
    with an up-to-date score)}`` in one statement."""
    from .scores import has_fresh_score

    fresh = has_fresh_score(icp_version_id)
    up = upload_data_only()
    row = conn.execute(
        sa.select(
            sa.func.count().label("leads"),
            sa.func.count().filter(L.status == LeadStatus.DISCOVERED).label("discovered"),
            sa.func.count().filter(L.status == LeadStatus.FAILED).label("failed"),
            sa.func.count().filter(fresh).label("scored"),
            sa.func.count().filter(L.status != LeadStatus.FAILED, ~fresh).label("unscored"),
            sa.func.count().filter(up).label("upload_only"),
            sa.func.count().filter(up, fresh).label("upload_only_scored"),
        ).where(scope_condition(client_id, batch_id))
    ).mappings().one()
    return {k: int(v) for k, v in row.items()}


def count_scored_among(conn: Connection, icp_version_id: int, lead_ids: Sequence[int] | None) -> int:
    """How many of ``lead_ids`` have an up-to-date score of this ICP version."""
    if not lead_ids:
        return 0
    from .scores import has_fresh_score

    return int(conn.execute(
        sa.select(sa.func.count()).where(L.id == any_of("ids", [int(i) for i in lead_ids], sa.BigInteger),
                                         has_fresh_score(icp_version_id))
    ).scalar_one())


def reset_derived(conn: Connection, lead_ids: Sequence[int]) -> None:
    """After leads got new profile data: clear their classification and whole-profile vectors, so
    the next stages classify and embed them again (their scores become stale by ``enriched_at``,
    see :func:`icp_engine.db.scores.unscored`)."""
    if not lead_ids:
        return
    ids = [int(i) for i in lead_ids]
    conn.execute(
        leads.update().where(L.id == any_of("ids", ids, sa.BigInteger))
        .values(industry_class=None, company_type=None, classification_reason=None, classification_source=None)
    )
    conn.execute(lead_embeddings.delete().where(lead_embeddings.c.lead_id == any_of("ids", ids, sa.BigInteger)))


#: Columns of the temporary table behind :func:`write_enriched` (the ``b_*`` keys of its rows).
_ENRICHED_COLS: tuple[tuple[str, str], ...] = (
    ("b_id", "bigint"), ("b_name", "text"), ("b_headline", "text"), ("b_location", "text"),
    ("b_titles", "text[]"), ("b_company", "text"), ("b_company_size", "text"), ("b_industry", "text"),
    ("b_summary", "text"), ("b_past_roles", "text[]"), ("b_skills", "text[]"), ("b_profile_id", "text"),
    ("b_vanity", "text"), ("b_source", "text"), ("b_note", "text"), ("b_name_key", "text"),
)
#: Classification columns (:func:`write_classifications`, and :func:`write_enriched` with
#: ``classified=True``): temporary-table column -> ``leads`` column.
_CLASS_COLS: tuple[tuple[str, str, str], ...] = (
    ("c_industry", "text", "industry_class"), ("c_type", "text", "company_type"),
    ("c_reason", "text", "classification_reason"), ("c_source", "text", "classification_source"),
    ("c_industry_guess", "text", "industry_guess"), ("c_industry_source", "text", "industry_source"),
    ("c_type_source", "text", "company_type_source"), ("c_type_is_guess", "boolean", "company_type_is_guess"),
)
_CLASS_DEFAULTS = {"b_industry_guess": None, "b_industry_source": None, "b_type_source": None,
                   "b_type_is_guess": False}
_CLASS_KEYS = ("b_industry", "b_type", "b_reason", "b_source", "b_industry_guess", "b_industry_source",
               "b_type_source", "b_type_is_guess")


def write_enriched(conn: Connection, rows: Sequence[dict[str, Any]], *, classified: bool = False,
                   qualified: bool = False) -> None:
    """Store enriched profiles: each row ``{"b_id": lead id, "b_name", "b_headline", "b_location",
    "b_titles", "b_company", "b_company_size", "b_industry", "b_summary", "b_past_roles", "b_skills",
    "b_profile_id", "b_vanity", "b_source", "b_note", "b_name_key"}``. Status becomes ``enriched``
    (an ``exported`` lead enriched again stays ``exported``); name, headline and location keep the
    page's value when the profile lacks one; known aliases are never replaced; ``enriched_at`` is set
    to now. ``b_note`` (``leads.enrichment_note``) says why the provider had no data for the lead
    when the profile is the upload's own (else None); ``b_name_key`` replaces the linking key when
    not None.

    ``classified=True``: each row also holds its classification under ``"class"`` (a dict with the
    keys of :func:`write_classifications`' rows), stored in the same statement. ``qualified=True``:
    the status becomes ``qualified``, ``exported`` ones stay ``exported`` (the caller stores the
    scores in the same transaction). One
    ``COPY`` and one ``UPDATE ... FROM`` for the whole chunk (a lead row is rewritten once).
    """
    if not rows:
        return
    cols = list(_ENRICHED_COLS) + ([(c, t) for c, t, _ in _CLASS_COLS] if classified else [])

    def values(r: dict[str, Any]) -> tuple[Any, ...]:
        base = tuple(r.get(c) for c, _ in _ENRICHED_COLS)
        if not classified:
            return base
        k = {**_CLASS_DEFAULTS, **r["class"]}
        return base + tuple(k[key] for key in _CLASS_KEYS)

    copy_into_temp(conn, "_enriched", cols, (values(r) for r in rows))
    sets = [
        # a lead enriched again with better data stays "exported" if it was in a CSV
        f"status = CASE WHEN leads.status = '{LeadStatus.EXPORTED.value}' THEN '{LeadStatus.EXPORTED.value}' "
        f"ELSE '{(LeadStatus.QUALIFIED if qualified else LeadStatus.ENRICHED).value}' END",
        "error_message = NULL",
        "name = coalesce(t.b_name, leads.name)",
        "headline = coalesce(t.b_headline, leads.headline)",
        "location = coalesce(t.b_location, leads.location)",
        "titles = coalesce(t.b_titles, '{}')", "company = t.b_company", "company_size = t.b_company_size",
        "industry = t.b_industry", "summary = t.b_summary", "past_roles = coalesce(t.b_past_roles, '{}')",
        "skills = coalesce(t.b_skills, '{}')",
        "profile_id = coalesce(leads.profile_id, t.b_profile_id)",
        "vanity = coalesce(leads.vanity, t.b_vanity)",
        "enrichment_source = t.b_source", "enrichment_note = t.b_note",
        "name_key = coalesce(t.b_name_key, leads.name_key)",
        "enriched_at = now()", "updated_at = now()",
    ]
    if classified:
        sets += [f"{col} = t.{c}" for c, _, col in _CLASS_COLS]
    conn.exec_driver_sql(f"UPDATE leads SET {', '.join(sets)} FROM _enriched t WHERE leads.id = t.b_id")


def write_enrich_failures(conn: Connection, rows: Sequence[dict[str, Any]], max_attempts: int) -> int:
    """Count a failed enrichment attempt: each row ``{"b_id", "b_error", "b_final", "b_titles",
    "b_company", "b_note"}``.

    ``retry_count`` goes up by one and ``error_message`` is set; the lead becomes ``failed`` at
    once when ``b_final`` (a permanent error), or after ``max_attempts`` attempts, else stays
    ``discovered`` for the next attempt. A lead that becomes ``failed`` is **not dropped**: it keeps
    the upload's data, completed with ``b_titles`` / ``b_company`` (what
    :func:`~icp_engine.enrich.page.profile_from_page` reads from its headline; empty/None keep the
    stored values), ``enrichment_source = 'page'`` and ``enrichment_note = b_note`` (the reason, for
    the CSV), and goes on to classification and scoring like an enriched lead.
    Returns how many leads became ``failed``.
    """
    if not rows:
        return 0
    cols = (("b_id", "bigint"), ("b_error", "text"), ("b_final", "boolean"), ("b_titles", "text[]"),
            ("b_company", "text"), ("b_note", "text"))
    copy_into_temp(conn, "_enrich_failures", cols,
                   ((r["b_id"], r.get("b_error"), bool(r.get("b_final")), list(r.get("b_titles") or []),
                     r.get("b_company"), r.get("b_note")) for r in rows))
    gives_up = f"(t.b_final OR leads.retry_count + 1 >= {int(max_attempts)})"
    result = conn.exec_driver_sql(
        "UPDATE leads SET retry_count = leads.retry_count + 1, error_message = t.b_error, "
        f"status = CASE WHEN {gives_up} THEN '{LeadStatus.FAILED.value}' ELSE '{LeadStatus.DISCOVERED.value}' END, "
        f"titles = CASE WHEN {gives_up} AND cardinality(leads.titles) = 0 THEN t.b_titles ELSE leads.titles END, "
        f"company = CASE WHEN {gives_up} THEN coalesce(leads.company, t.b_company) ELSE leads.company END, "
        f"enrichment_source = CASE WHEN {gives_up} THEN 'page' ELSE leads.enrichment_source END, "
        f"enrichment_note = CASE WHEN {gives_up} THEN t.b_note ELSE leads.enrichment_note END, "
        f"enriched_at = CASE WHEN {gives_up} THEN now() ELSE leads.enriched_at END, updated_at = now() "
        "FROM _enrich_failures t WHERE leads.id = t.b_id RETURNING leads.status"
    )
    return sum(1 for (status,) in result if status == LeadStatus.FAILED)


def _raw_array(col: sa.Column[Any]) -> Any:
    """``col``, or for a ``text[]`` column the driver's own list (psycopg returns ``list[str]``):
    SQLAlchemy's ARRAY result processor copies every array of every row again (~1 s per 50k
    leads read by a run's stages)."""
    if isinstance(col.type, sa.ARRAY):
        return sa.type_coerce(col, sa.types.NullType()).label(col.name)
    return col


def lead_chunk(
    conn: Connection, client_id: int, batch_id: int | None, todo: sa.ColumnElement[bool], after_id: int, size: int,
    columns: Sequence[str] | None = None,
) -> list[Row]:
    """Up to ``size`` lead rows of a scope matching ``todo`` with ``id > after_id``, in id order
    (keyset pagination: each chunk's query stays cheap at 100k leads). ``columns``: the ``leads``
    columns to read (``id`` always included), default all."""
    cols: list[Any] = [_raw_array(leads.c[c]) for c in dict.fromkeys(["id", *columns])] if columns else [leads]
    rows = conn.execute(
        sa.select(*cols).where(scope_condition(client_id, batch_id), todo, L.id > after_id).order_by(L.id).limit(size)
    ).mappings()
    return as_dicts(rows)


def pending_enrichment(*, upgrade: bool = False, exclude: Sequence[int] = ()) -> sa.ColumnElement[bool]:
    """Leads still ``discovered`` (the enrich stage's work); with ``upgrade`` also the leads with
    upload data only (:func:`upload_data_only`) except the ids in ``exclude`` (re-enrichment by a
    provider with profile data). The condition of :func:`to_enrich` without the scope."""
    todo: sa.ColumnElement[bool] = L.status == LeadStatus.DISCOVERED
    if upgrade:
        better = upload_data_only()
        if exclude:
            better = sa.and_(better, ~(L.id == any_of("excluded", [int(i) for i in exclude], sa.BigInteger)))
        todo = sa.or_(todo, better)
    return todo


def count_upload_only(conn: Connection, client_id: int, batch_id: int | None) -> int:
    """Leads of a scope with upload data only (:func:`upload_data_only`): what re-enrichment offers."""
    return int(conn.execute(
        sa.select(sa.func.count()).where(scope_condition(client_id, batch_id), upload_data_only())
    ).scalar_one())


def past_enrichment() -> sa.ColumnElement[bool]:
    """Leads that went through enrichment (what classify and embed work on): enriched, qualified,
    exported, and ``failed`` ones, which are qualified on the upload's data (nothing is dropped)."""
    return L.status != LeadStatus.DISCOVERED


def unclassified() -> sa.ColumnElement[bool]:
    """Enriched leads without a company type yet (the classify stage's work)."""
    return sa.and_(past_enrichment(), L.company_type.is_(None))


def write_classifications(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Store classifications: each row ``{"b_id", "b_industry", "b_type", "b_reason", "b_source",
    "b_industry_guess", "b_industry_source", "b_type_source", "b_type_is_guess"}`` (the fields of
    :class:`icp_engine.classify.Classification`; the last four default to None / False). One
    ``COPY`` and one ``UPDATE ... FROM``."""
    if not rows:
        return
    copy_into_temp(conn, "_classified", (("b_id", "bigint"),) + tuple((c, t) for c, t, _ in _CLASS_COLS),
                   ((r["b_id"],) + tuple({**_CLASS_DEFAULTS, **r}[k] for k in _CLASS_KEYS) for r in rows))
    sets = ", ".join(f"{col} = t.{c}" for c, _, col in _CLASS_COLS)
    conn.exec_driver_sql(f"UPDATE leads SET {sets} FROM _classified t WHERE leads.id = t.b_id")


# ---------------------------------------------------------------- deleting a batch


def batch_deletion(conn: Connection, batch_id: int) -> Row:
    """What deleting a batch would do: the batch row plus ``leads_only_here`` (leads of no other
    upload: deleted with their scores and review labels) and ``leads_elsewhere`` (also in another
    upload of the client: kept). Raises :class:`~icp_engine.errors.NotFound`."""
    from ..errors import NotFound

    batch = conn.execute(sa.select(batches).where(B.id == batch_id)).mappings().first()
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    o = batch_members.alias("o")
    elsewhere = sa.select(o.c.lead_id).where(o.c.lead_id == M.lead_id, o.c.batch_id != batch_id).exists()
    row = conn.execute(
        sa.select(sa.func.count().filter(~elsewhere).label("only"), sa.func.count().filter(elsewhere).label("kept"))
        .where(M.batch_id == batch_id)
    ).one()
    return {**dict(batch), "leads_only_here": int(row.only), "leads_elsewhere": int(row.kept)}


def delete_batch(conn: Connection, batch_id: int) -> Row:
    """Delete a batch (one transaction): its leads that are in no other upload go with their scores,
    vectors and review labels; leads also in another upload stay (first seen in the earliest of
    those); the batch's runs go too. Returns :func:`batch_deletion` of the batch as it was."""
    info = batch_deletion(conn, batch_id)
    o = batch_members.alias("o")
    elsewhere = sa.select(o.c.lead_id).where(o.c.lead_id == M.lead_id, o.c.batch_id != batch_id).exists()
    only_here = sa.select(M.lead_id).where(M.batch_id == batch_id, ~elsewhere)
    conn.execute(leads.delete().where(L.id.in_(only_here)))
    # leads first seen in this batch and kept: first seen in their earliest other upload now
    first_other = (
        sa.select(o.c.batch_id).select_from(o.join(batches, B.id == o.c.batch_id))
        .where(o.c.lead_id == L.id, o.c.batch_id != batch_id)
        .order_by(B.created_at, B.id).limit(1).scalar_subquery()
    )
    conn.execute(leads.update().where(L.batch_id == batch_id).values(batch_id=first_other))
    conn.execute(batches.delete().where(B.id == batch_id))
    return info
