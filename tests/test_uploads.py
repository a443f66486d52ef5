"""Uploads through the dashboard's path: preview each file, merge, store once; kept Apify files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from icp_engine import Engine, InvalidInput, default_batch_name, history_with_changes, merge_previews
from tests.conftest import FIXTURES

PAGE = (FIXTURES / "ui" / "followers_finance.html").read_bytes()
URLS = b"https://www.linkedin.com/in/ingrid-salvesen-cfo/\nhttps://www.linkedin.com/in/brand-new-person/\n"


@pytest.fixture()
def engine(db, settings):
    return Engine(settings, db=db)


def test_preview_merge_and_store_two_files(engine):
    c = engine.create_client("Merge")
    page, urls = engine.preview_upload(c["id"], "followers.html", PAGE), engine.preview_upload(c["id"], "more.txt", URLS)
    assert (page.new, page.known, len(page.parsed.people)) == (12, 0, 12)
    merged = merge_previews([page, urls])
    assert len(merged.people) == 13 and merged.new_count == 13  # Ingrid is in both files: once
    assert merged.sha256 is None and merge_previews([page]).sha256 == page.sha256
    batch = engine.store_upload(c["id"], [page, urls], batch_name="  ", author="Dana")
    assert (batch["new_leads"], batch["people_in_file"], batch["created_by"]) == (13, 13, "Dana")
    assert batch["source_filename"] == "followers.html, more.txt" and batch["source_kind"] == "followers_page+url_list"
    assert batch["name"].startswith("2 files · ")  # blank name -> the default
    again = engine.preview_upload(c["id"], "again.html", PAGE)
    assert (again.new, again.known, again.known_indexes) == (0, 12, set(range(12)))
    one = engine.store_upload(c["id"], [again])
    assert one["file_sha256"] == again.sha256 and one["name"].startswith("again · ")
    with pytest.raises(InvalidInput):
        engine.store_upload(c["id"], [])


def test_default_batch_name():
    when = datetime(2026, 11, 21, 10, 4)
    assert default_batch_name(["followers.html"], when) == "followers · 2026-11-21 10:04"
    assert default_batch_name(["a.html", "b.csv", "c.txt"], when) == "3 files · 2026-11-21 10:04"


def test_saved_apify_items_are_content_addressed(engine, settings):
    p1 = engine.save_apify_items("my dataset (1).json", b"[{}]")
    p2 = engine.save_apify_items("my dataset (1).json", b"[{}]")
    p3 = engine.save_apify_items("other.json", b"[{\"a\": 1}]")
    assert p1 == p2 != p3 and Path(p1).read_bytes() == b"[{}]"
    assert Path(p1).parent == Path(settings.icp_data_dir) / "uploads" and Path(p1).name.endswith("-my_dataset__1_.json")


def test_icp_history_with_changes():
    rows = [
        {"version": 2, "icp": {"target_titles": ["CFO"], "keywords": ["SaaS"]}, "created_by": "b", "change_note": "kw",
         "created_at": "t2"},
        {"version": 1, "icp": {"target_titles": ["CFO"]}, "created_by": "a", "change_note": "", "created_at": "t1"},
    ]
    out = history_with_changes(rows)
    assert [r["changes"] for r in out] == ["+ keywords: SaaS", "+ titles: CFO"]
    assert [(r["version"], r["who"], r["note"]) for r in out] == [(2, "b", "kw"), (1, "a", "")]
