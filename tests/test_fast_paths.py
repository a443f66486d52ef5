"""Shortcuts on the run's per-lead paths give exactly the slow path's values (issue 15)."""

from __future__ import annotations

import random
import unicodedata

from icp_engine.domain import _LEGAL_RE, name_company_key, normalise_name_part
from icp_engine.enrich.page import linking_key, parse_headline


def _reference(text: str | None, company: bool = False) -> str:
    # the per-character rules of normalise_name_part for any text (the non-ASCII path)
    if not text:
        return ""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).casefold()
    s = " ".join("".join(ch if ch.isalnum() else " " for ch in s).split())
    if company and s:
        s = _LEGAL_RE.sub("", " " + s).strip() or s
    return s


def test_ascii_names_and_companies_normalise_as_the_unicode_rules_do():
    rnd = random.Random(7)
    ascii_chars = [chr(i) for i in range(128)]
    samples = ["".join(rnd.choice(ascii_chars) for _ in range(rnd.randint(0, 40))) for _ in range(20_000)]
    samples += ["Nair & Co", "Veldmark Staffing Ltd.", "  O'Brien-Smith  ", "ACME, Inc.", "3M", "x\ty\nz", "--"]
    for t in samples:
        for company in (False, True):
            assert normalise_name_part(t, company=company) == _reference(t, company), repr(t)
    assert name_company_key("Tamsin Okafor", "Veldmark Staffing Ltd.") == "name:tamsin okafor|veldmark staffing"
    assert normalise_name_part("Zoë Hart 🌱") == "zoe hart"  # non-ASCII: the full rules


def test_parse_headline_is_memoised_and_gives_the_same_answer():
    h = "VP Finance at Quillstone Systems | SaaS metrics nerd"
    first = parse_headline(h)
    assert first == ("VP Finance", "Quillstone Systems")
    assert parse_headline(h) is first  # the memo's answer (a tuple: nothing a caller can change)
    assert linking_key("Nora Vidal", None, "VP Finance at Quillstone Systems Ltd") == "name:nora vidal|quillstone systems"
    assert parse_headline(None) == (None, None)


def test_lead_chunk_reads_text_arrays_as_lists(db, settings):
    import sqlalchemy as sa

    from icp_engine.db import leads as leads_sql
    from icp_engine.domain import Follower
    from icp_engine.engine import Engine

    eng = Engine(settings, db=db)
    c = eng.create_client("arrays")
    people = [Follower(key="tamsin-okafor", url="https://www.linkedin.com/in/tamsin-okafor",
                       profile_url="https://www.linkedin.com/in/tamsin-okafor", vanity="tamsin-okafor",
                       name="Tamsin Okafor", headline="CFO at Veldmark")]
    b = eng.ingest_followers(c["id"], people, batch_name="b")
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE leads SET titles = ARRAY['CFO', 'Board Member']"))
    with db.connect() as conn:
        rows = leads_sql.lead_chunk(conn, c["id"], b["id"], leads_sql.pending_enrichment(), 0, 10,
                                    ["titles", "past_roles", "skills", "name"])
    got = [(r["titles"], r["past_roles"], r["skills"], r["name"]) for r in rows]
    assert got == [(["CFO", "Board Member"], [], [], "Tamsin Okafor")]
    assert all(type(v) is list for r in rows for v in (r["titles"], r["past_roles"], r["skills"]))
