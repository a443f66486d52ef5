"""ICP from discovery calls in a real browser (Playwright + Debian's Chromium): upload two transcripts
for a client, review the diff, accept some items and reject one, see the new ICP version in the
editor and the history. A screenshot of the section at 1440 px goes to ``docs/screenshots/`` with
``ICP_UPDATE_SCREENSHOTS=1`` (else a temporary folder). A second test checks that Markdown in a
transcript is shown as text (no links, images or formatting)."""

# ruff: noqa: F811 - the app fixture of tests/test_browser.py is imported and then requested by name
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from icp_engine.db import schema
from tests.conftest import FIXTURES
from tests.test_browser import (  # noqa: F401 - app_url is a fixture
    ADMIN,
    ADMIN_PASSWORD,
    CHROMIUM,
    CHROMIUM_ARGS,
    SHOTS,
    WAIT_MS,
    _idle,
    _sign_in,
    app_url,
)

DEV = FIXTURES / "calls" / "dev"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]


@pytest.fixture()
def page_1440(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(WAIT_MS)
        pg.goto(app_url)
        _sign_in(pg, ADMIN, ADMIN_PASSWORD)  # labels, calls and ICP versions are recorded with this account
        try:
            yield pg
        finally:
            pg.screenshot(path=str(Path(tempfile.gettempdir()) / "icp-browser-calls-last.png"), full_page=True)
            context.close()
        browser.close()


def _start(pg, client: str) -> None:
    pg.get_by_role("heading", name="Clients & ICP").wait_for()
    _idle(pg)
    pg.get_by_role("textbox", name="Client name").fill(client)
    pg.get_by_role("button", name="Create client").click()
    pg.get_by_role("heading", name="From discovery calls").wait_for()
    _idle(pg)


def _card(pg, value: str):
    """The bordered card of one proposed change (``+ value`` / ``− value``)."""
    return (pg.get_by_test_id("stVerticalBlock")
            .filter(has=pg.get_by_text(re.compile(rf"^[+−] {re.escape(value)}$")))
            .filter(has=pg.get_by_role("radio", name="Reject")).last)


def _section_shot(pg, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    _idle(pg)
    height = pg.evaluate("() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight")
    pg.set_viewport_size({"width": 1440, "height": max(1000, min(int(height) + 120, 8000))})
    pg.wait_for_timeout(400)
    top = pg.get_by_role("heading", name="From discovery calls").bounding_box()
    end = pg.get_by_role("heading", name="Live preview").bounding_box()
    assert top and end
    # the section from its heading, at most 2,400 px of it (the rest are more cards of the same kind)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), clip={"x": 240, "y": max(0, top["y"] - 20), "width": 1200,
                                                         "height": min(2400, end["y"] - top["y"])})
    pg.set_viewport_size({"width": 1440, "height": 1000})


@pytest.fixture()
def arclight_v1(settings, db):
    """A client with ICP version 1, made before the browser opens (so the app selects it)."""
    from icp_engine.domain import ICP
    from icp_engine.engine import Engine

    eng = Engine(settings, db=db)
    c = eng.create_client("Arclight Security")
    eng.save_icp(c["id"], ICP(name="Security buyers", target_titles=["CISO"], target_industries=["E-commerce"],
                              company_sizes=["51-200", "201-500"]), author="Dana", note="first guess")
    return c


def test_two_transcripts_to_a_new_icp_version(arclight_v1, page_1440, db):
    pg = page_1440
    pg.get_by_role("heading", name="ICP of Arclight Security").wait_for()
    pg.get_by_role("heading", name="From discovery calls").wait_for()
    _idle(pg)
    domains = pg.get_by_role("textbox", name="Client's e-mail domains")
    domains.fill("arclight.example")
    domains.press("Enter")
    _idle(pg)
    pg.get_by_role("button", name="Save domains").click()
    pg.get_by_text("E-mail domains saved").wait_for()
    _idle(pg)

    # drop two transcripts (a Fathom meeting JSON and Fathom's copied text): preview, nothing stored yet
    pg.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        [str(DEV / "arclight-1.json"), str(DEV / "arclight-2.txt")])
    pg.get_by_role("button", name="Read 2 calls").wait_for()
    _idle(pg)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.fathom_calls)).scalar_one() == 0
    pg.get_by_role("button", name="Read 2 calls").click()
    pg.get_by_text("Read 2 calls.").wait_for()
    _idle(pg)

    # the diff against version 1: added, removed and unchanged, each change with a quote, speaker and call
    pg.get_by_text("Proposed changes to ICP version 1").wait_for()
    law = _card(pg, "Law Practice")
    assert "Law firms have been great" in law.inner_text()
    assert "Nadia Haddad (client)" in law.inner_text() and "Arclight - revisit ICP" in law.inner_text()
    gone = _card(pg, "E-commerce")
    assert "Remove" in gone.inner_text() and "“Actually, forget e-commerce.”" in gone.inner_text()
    assert "taken back in Arclight - revisit ICP" in _card(pg, "51-200").inner_text()
    pg.get_by_text("Unchanged: CISO").wait_for()
    assert "said in 1 call" in _card(pg, "CTO").inner_text()
    _section_shot(pg, "1b-calls")

    # reject two items, accept the rest
    _card(pg, "CTO").get_by_role("radio", name="Reject").click()
    _idle(pg)
    _card(pg, "student").get_by_role("radio", name="Reject").click()
    _idle(pg)
    pg.get_by_role("button", name=re.compile(r"^Save \d+ changes as ICP version 2$")).click()
    pg.get_by_text("Saved ICP version 2 by Dana").wait_for()
    _idle(pg)

    with db.connect() as conn:
        ver = conn.execute(sa.select(schema.client_icps).where(schema.client_icps.c.version == 2)).mappings().one()
        calls = conn.execute(sa.select(schema.fathom_calls.c.applied_icp_version_id,
                                       schema.fathom_calls.c.imported_by)).all()
    icp = ver["icp"]
    assert ver["created_by"] == "Dana"
    assert ver["change_note"].startswith("From calls: Arclight Security - targeting (2025-09-25); Arclight - revisit ICP")
    assert icp["name"] == "Security buyers"
    assert "CTO" not in icp["target_titles"] and icp["target_titles"][:3] == ["CISO", "Head of IT", "IT Manager"]
    assert "E-commerce" not in icp["target_industries"] and "Law Practice" in icp["target_industries"]
    assert icp["company_sizes"] == ["201-500", "501-1000"] and "student" not in icp["exclusions"]
    assert [tuple(c) for c in calls] == [(ver["id"], "Dana")] * 2

    # the editor holds version 2, and the review starts again from it
    titles = pg.get_by_test_id("stMultiSelect").filter(has=pg.get_by_text("Target titles", exact=True))
    titles.get_by_text("Head of IT", exact=True).first.wait_for()
    assert pg.get_by_text("Saved as version 2.").count() == 1
    pg.get_by_text("Proposed changes to ICP version 2").wait_for()
    # only the two rejected items are left, and they start as rejected this time
    assert pg.get_by_role("radiogroup").count() == 2
    assert pg.get_by_role("radiogroup", name="Add CTO").get_by_role("radio", name="Reject").get_attribute(
        "aria-checked") == "true"
    pg.get_by_role("button", name="Reject all and mark the calls as reviewed").wait_for()


HOSTILE = """Dana Whitcombe: Who are the buyers you want to reach?
Sam Okafor: Mostly CFOs [click here](http://evil.example/x) and ![x](http://evil.example/i.png) :red[RED] \
:material/warning: $x^2$ <b>bold</b> **strong** at software companies, www.evil.example too.
Dana Whitcombe: And company size?
Sam Okafor: Fifty to two hundred employees, ideally.
"""


def test_markdown_in_a_transcript_is_shown_as_text(page_1440, tmp_path):
    pg = page_1440
    _start(pg, "Plain Text Ltd")
    f = tmp_path / "call [x](http:evil.example).txt"
    f.write_text(HOSTILE, encoding="utf-8")
    pg.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(f))
    pg.get_by_role("button", name="Read 1 call").click()
    pg.get_by_text("Read 1 call.").wait_for()
    _idle(pg)
    card = _card(pg, "CFO")
    text = card.inner_text()
    assert "[click here](http://evil.example/x)" in text and ":red[RED]" in text and "**strong**" in text
    assert ":material/warning:" in text and "$x^2$" in text and "<b>bold</b>" in text
    main = pg.get_by_test_id("stMainBlockContainer")
    hrefs = [a.get_attribute("href") or "" for a in main.locator("a").all()]
    assert not [h for h in hrefs if "evil" in h], hrefs
    assert main.locator("img").count() == 0 and main.locator("b").count() == 0 and main.locator(".katex").count() == 0
    # the call's title (from the file name) in a caption: shown as typed (zero-width spaces break autolinks)
    shown = pg.get_by_text(re.compile(r"^Not reviewed yet")).inner_text().replace("\u200b", "")
    assert "call [x](http:evil.example)" in shown
