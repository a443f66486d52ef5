"""Hostile uploads through the engine: a clear error and the database unchanged (issue 4)."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest
import sqlalchemy as sa

from icp_engine.engine import Engine
from icp_engine.ingest.upload import UploadError
from tests.conftest import FIXTURES


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


HOSTILE = {
    "empty.html": b"",
    "photo.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,
    "doc.pdf": b"%PDF-1.7\n" + b"\x00\x01binary" * 50,
    "notes.html": b"<html><head><title>Recipes</title></head><body><p>soup</p></body></html>",
    "list.txt": b"no urls here, just words\nand more words\n",
    "scripts.html": b"<html><head><title>Followers | LinkedIn</title></head><body>"
                     b"<script>" + b"x" * 200_000 + b"</script>" * 50
                    + b'<div data-x="' + b"a" * 2_000_000 + b'"></div></body></html>',
    "broken16.html": b"\xff\xfe" + "<html>".encode("utf-16-le") + b"\x00\xd8",
    "other.zip": _zip({"holiday.jpg": b"\xff\xd8\xff" + b"\x00" * 100}),
    "bomb.zip": _zip({"Connections.csv": b"First Name," + b"0" * 30_000_000}),
    "bomb.gz": gzip.compress(b"<html>" + b" " * 60_000_000),
    # long runs of letters once made the URL regexes backtrack quadratically (minutes)
    "letters.txt": b"x" * 1_000_000 + b"\n" + b"a." * 200_000,
}


@pytest.fixture()
def engine(db, settings):
    return Engine(settings.model_copy(update={"max_upload_bytes": 5 * 1024 * 1024}), db=db)


def _counts(db) -> tuple[int, ...]:
    with db.connect() as conn:
        return tuple(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                     for t in ("leads", "batches", "batch_members"))


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_upload_clear_error_db_unchanged(engine, db, name):
    c = engine.create_client("Hostile")
    good = (FIXTURES / "ui" / "followers_finance.html").read_bytes()
    ok = engine.store_upload(c["id"], [engine.preview_upload(c["id"], "good.html", good)])
    before = _counts(db)
    assert before[0] == 12 and ok["new_leads"] == 12
    with pytest.raises(UploadError) as err:  # the dashboard's path: preview first, then store
        engine.store_upload(c["id"], [engine.preview_upload(c["id"], name, HOSTILE[name])])
    msg = str(err.value)
    assert 15 < len(msg) < 600 and "Traceback" not in msg
    assert _counts(db) == before


def test_too_large_upload_refused_before_parsing(engine, db):
    c = engine.create_client("Big")
    with pytest.raises(UploadError, match="(?i)large|limit|MB|MiB"):
        engine.preview_upload(c["id"], "huge.html", b"<html>" + b" " * (6 * 1024 * 1024))
    assert _counts(db) == (0, 0, 0)
