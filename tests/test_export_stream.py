"""The ranked CSV is written chunk by chunk from a server-side cursor (issue 15): the same bytes
as building it from all rows at once, whatever the chunk size."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from test_engine import F, _score_directly

from icp_engine.db import reports
from icp_engine.domain import ICP
from icp_engine.engine import Engine
from icp_engine.export import to_csv_bytes, to_frame, write_csv


@pytest.fixture()
def engine(db, settings):
    return Engine(settings, db=db)


def _setup(engine: Engine) -> int:
    c = engine.create_client("Stream")
    engine.save_icp(c["id"], ICP(target_titles=["CFO"]))
    people = [F(f"p{i:02d}", ["=cmd()", "Ana Lopes", "+44 20", "Zoë Núñez", "@x", "Bo"][i % 6] + f" {i}",
                ["CFO at A", "-1 headline", "VP, Finance | B", "Founder"][i % 4]) for i in range(23)]
    engine.ingest_followers(c["id"], people, batch_name="b")
    # ties (same score for several leads, also after rounding to 0.1) keep the database's order
    _score_directly(engine, c["id"], {f"p{i:02d}": [91.5, 91.5, 42.04, 42.0, 10.0, 99.99][i % 6] for i in range(23)})
    return c["id"]


@pytest.mark.parametrize("chunk", [1, 2, 5, 7, 1000])
def test_chunked_csv_is_byte_identical_to_the_whole_frame(engine, chunk):
    cid = _setup(engine)
    with engine.db.connect() as conn:
        whole = to_csv_bytes(to_frame(reports.export_rows(conn, cid)))
        buf = io.BytesIO()
        ids = write_csv(reports.export_row_chunks(conn, cid, chunk_rows=chunk), buf)
    assert buf.getvalue() == whole
    assert len(ids) == 23 and len(set(ids)) == 23
    rows = list(csv.DictReader(io.StringIO(whole.decode("utf-8-sig"))))
    assert [float(r["icp_score"]) for r in rows] == sorted((float(r["icp_score"]) for r in rows), reverse=True)
    assert any(r["first_name"].startswith("'=") for r in rows)


def test_export_csv_streams_and_marks_exactly_the_exported_leads(engine):
    cid = _setup(engine)
    with engine.db.connect() as conn:
        expected = to_csv_bytes(to_frame(reports.export_rows(conn, cid, min_score=42.01)))
    assert engine.export_csv(cid, min_score=42.01) == expected
    with engine.db.connect() as conn:
        exported = conn.execute(sa.text("SELECT count(*) FROM leads WHERE status = 'exported'")).scalar_one()
    assert exported == sum(1 for i in range(23) if i % 6 in (0, 1, 2, 5))


def test_an_empty_export_is_the_header_alone():
    buf = io.BytesIO()
    assert write_csv(iter([]), buf) == []
    assert buf.getvalue() == to_csv_bytes(to_frame([]))
    assert buf.getvalue().decode("utf-8-sig").startswith("name,first_name,last_name,profile_url")


def test_the_csv_writer_without_pandas_writes_pandas_bytes_for_awkward_cells():
    import random

    from icp_engine.export import _chunk_csv, _csv_text

    rnd = random.Random(11)
    awkward = ["", "plain", 'say "hi"', "a,b", "line\nbreak", "cr\rx", "=SUM(A1)", "+44", "-3", "@me", "\ttab",
               "Zoë Núñez", " lead space", "trailing ", "'quoted'", "semi; colon", "emoji 🌱"]
    for trial in range(40):
        rows = []
        for i in range(rnd.randint(1, 30)):
            score = rnd.choice([None, 0.0, 100.0, 42.04, 42.0, 91.5, 91.54, 99.99, 7.25, 0.05, 55.55])
            if trial % 5 == 0:
                score = None  # a chunk without any score: pandas keeps an object column
            rows.append({
                "id": i, "name": rnd.choice(awkward + [None]), "headline": rnd.choice(awkward),
                "profile_url": rnd.choice(["", "https://www.linkedin.com/in/x", "=HYPERLINK(1)"]),
                "profile_key": rnd.choice(["x", "name:x"]), "titles": rnd.sample(awkward, rnd.randint(0, 3)),
                "company": rnd.choice(awkward + [None]), "industry": rnd.choice(awkward + [None]),
                "industry_class": rnd.choice([None, "Banking"]), "industry_guess": rnd.choice([None, "Retail"]),
                "company_size": rnd.choice([None, "51-200"]), "company_type": rnd.choice([None, "startup"]),
                "location": rnd.choice(awkward), "icp_score": score, "bucket": rnd.choice(["high", "low", ""]),
                "match_reasoning": rnd.choice(awkward), "enrichment_note": rnd.choice([None, "enrichment: x"]),
                "review_label": rnd.choice([None, "keep"]), "batch_name": rnd.choice(awkward),
                "status": rnd.choice(["qualified", "failed", "exported"]), "vanity": rnd.choice([None, "v"]),
                "profile_id": None,
            })
        for header in (True, False):
            assert _chunk_csv(rows, header=header) == _csv_text(to_frame(rows), header=header), (trial, header)
    assert _chunk_csv([], header=True) == _csv_text(to_frame([]), header=True)


def test_an_export_marks_its_chunks_in_one_background_transaction_and_none_when_it_fails(engine, monkeypatch):
    import threading

    from icp_engine import engine as engine_mod

    cid = _setup(engine)
    real_chunks = reports.export_row_chunks
    threads: list[str] = []
    real_mark = engine_mod.leads_sql.mark_exported

    def mark(conn, ids):
        threads.append(threading.current_thread().name)
        real_mark(conn, ids)

    monkeypatch.setattr(engine_mod.leads_sql, "mark_exported", mark)

    def failing(conn, client_id, **kw):  # the first chunk is written (and marked), then the read fails
        it = real_chunks(conn, client_id, chunk_rows=5, **kw)
        yield next(it)
        yield next(it)
        raise RuntimeError("connection lost")

    monkeypatch.setattr(engine_mod.reports_sql, "export_row_chunks", failing)
    with pytest.raises(RuntimeError, match="connection lost"):
        engine.export_csv(cid)
    assert len(threads) == 2 and all(t.startswith("icp-export") for t in threads)

    def exported() -> int:
        with engine.db.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM leads WHERE status = 'exported'")).scalar_one()

    assert exported() == 0  # rolled back: nothing marked by an export that was not delivered
    monkeypatch.setattr(engine_mod.reports_sql, "export_row_chunks",
                        lambda conn, client_id, **kw: real_chunks(conn, client_id, chunk_rows=5, **kw))
    with engine.db.connect() as conn:
        whole = to_csv_bytes(to_frame(reports.export_rows(conn, cid)))
    assert engine.export_csv(cid) == whole
    assert exported() == 23 and len(threads) == 2 + 5


def test_a_failed_mark_fails_the_export_and_marks_nothing(engine, monkeypatch):
    from icp_engine import engine as engine_mod

    cid = _setup(engine)
    real_chunks = reports.export_row_chunks
    monkeypatch.setattr(engine_mod.reports_sql, "export_row_chunks",
                        lambda conn, client_id, **kw: real_chunks(conn, client_id, chunk_rows=5, **kw))
    calls = []
    real_mark = engine_mod.leads_sql.mark_exported

    def mark(conn, ids):
        calls.append(len(ids))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real_mark(conn, ids)

    monkeypatch.setattr(engine_mod.leads_sql, "mark_exported", mark)
    with pytest.raises(RuntimeError, match="disk full"):
        engine.export_csv(cid)
    with engine.db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM leads WHERE status = 'exported'")).scalar_one() == 0
