"""Connections.csv exports, URL lists and pasted text."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, SHARED_FORMATS, needs_shared

from icp_engine.ingest.connections_csv import find_header, parse_connections_csv
from icp_engine.ingest.upload import UploadError, parse_text, parse_upload
from icp_engine.ingest.url_list import parse_url_list

HERE = FIXTURES / "ingest"
EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On"


def test_own_connections_csv():
    exp = EXPECTED["Connections.csv"]
    result = parse_upload("Connections.csv", (HERE / "Connections.csv").read_bytes())
    assert result.kind == "connections_csv"
    assert result.page_owner is None
    got = [{k: getattr(p, k) for k in exp["followers"][0]} for p in result.people]
    assert got == exp["followers"]
    for stat, value in exp["stats"].items():
        assert result.stats[stat] == value, stat
    assert all(p.degree == "1st" for p in result.people)
    assert any("no profile URL" in w for w in result.warnings)


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
@pytest.mark.parametrize("preamble", [0, 3, 5])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_connections_csv_layout_variants(newline, preamble, bom):
    pre = ["Notes:", '"When exporting your connection data, some e-mails are missing."', ""]
    pre += ["", "Extra line"][: max(0, preamble - 3)]
    lines = pre[:preamble] + [
        HEADER,
        'Ana,Lopes,https://www.linkedin.com/in/ana-lopes-pt,,"Lopes, Lda","CFO, ""Group"""'
        ",01 Jan 2026",
        "",
        "Ben,Ode,https://www.linkedin.com/in/ben-ode,,Odeworks,,02 Jan 2026",
    ]
    data = bom + newline.join(lines).encode("utf-8") + newline.encode()
    result = parse_upload("Connections.csv", data)
    assert [p.key for p in result.people] == ["ana-lopes-pt", "ben-ode"]
    assert result.people[0].company == "Lopes, Lda"
    assert result.people[0].title == 'CFO, "Group"'
    assert result.people[1].title is None


def test_quoted_header_and_old_export_without_preamble():
    text = '"First Name","Last Name","URL","Email Address","Company","Position","Connected On"\n' \
           'Kai,Moe,https://www.linkedin.com/in/kai-moe,,Moe AS,CEO,03 Mar 2020\n'
    assert find_header(text) == 0
    assert [p.name for p in parse_connections_csv(text).people] == ["Kai Moe"]


def test_csv_without_header_is_not_connections():
    with pytest.raises(UploadError, match="not LinkedIn's Connections.csv"):
        parse_connections_csv("name,url\nA,https://www.linkedin.com/in/a\n")


def test_csv_with_only_unusable_rows_is_refused():
    data = (HEADER + "\r\n,,,,,,01 Jan 2026\r\n,,,,Nord AS,CFO,01 Jan 2026\r\n").encode()
    with pytest.raises(UploadError, match="none of its 2 rows has a name or a profile URL"):
        parse_upload("Connections.csv", data)


def test_row_without_url_is_a_lead_keyed_by_name_and_company():
    data = (HEADER + "\r\nOla,Nord,,,Nord AS,CFO,01 Jan 2026\r\n").encode()
    result = parse_upload("Connections.csv", data)
    (p,) = result.people
    assert (p.key, p.has_url, p.url, p.profile_url) == ("name:ola nord|nord", False, "", "")
    assert (p.name, p.company, p.title, p.headline) == ("Ola Nord", "Nord AS", "CFO", "CFO at Nord AS")
    assert result.stats["people_without_url"] == 1
    assert any("no profile URL" in w and "cannot look them up" in w for w in result.warnings)


def test_csv_field_too_large_is_a_clear_error():
    data = (HEADER + '\n"' + "x" * 1_100_000 + '",b,https://www.linkedin.com/in/b,,,,\n').encode()
    with pytest.raises(UploadError, match="could not be read"):
        parse_upload("Connections.csv", data)


def test_csv_with_url_column_is_a_url_list():
    data = b"name,profile\nAna,https://www.linkedin.com/in/ana-x\nBo,https://www.linkedin.com/in/bo-y/\n"
    result = parse_upload("leads.csv", data)
    assert result.kind == "url_list"
    assert [p.key for p in result.people] == ["ana-x", "bo-y"]


def test_own_url_list():
    exp = EXPECTED["profile_urls.txt"]
    result = parse_upload("profile_urls.txt", (HERE / "profile_urls.txt").read_bytes())
    assert result.kind == "url_list"
    assert [p.key for p in result.people] == exp["keys"]
    assert result.stats["duplicates"] == 1
    assert result.stats["not_profiles"] == 1
    assert all(p.name is None for p in result.people)


@pytest.mark.parametrize("sep", ["\n", "\r\n", ",", ", ", " ", "\t", ";", " | "])
def test_url_list_separators(sep):
    urls = ["https://www.linkedin.com/in/aa-1", "linkedin.com/in/bb-2/", "/in/cc-3",
            "https://www.linkedin.com/in/ACoAAB1ngr1dS0lb3rgFjordL1ghtAnalyt1cs0"]
    result = parse_text(sep.join(urls))
    assert [p.key for p in result.people] == ["aa-1", "bb-2", "cc-3",
                                              "ACoAAB1ngr1dS0lb3rgFjordL1ghtAnalyt1cs0"]


def test_url_list_dedupes_on_mini_profile_id():
    pid = "ACoAAB1ngr1dS0lb3rgFjordL1ghtAnalyt1cs0"
    text = (f"https://www.linkedin.com/in/ingrid?miniProfileUrn=urn%3Ali%3Afs_miniProfile%3A{pid}\n"
            f"https://www.linkedin.com/in/{pid}\n")
    result = parse_url_list(text)
    assert [p.key for p in result.people] == ["ingrid"]
    assert result.stats["duplicates"] == 1


def test_url_list_trailing_punctuation():
    result = parse_text("See (https://www.linkedin.com/in/dana-k). And https://www.linkedin.com/in/eli-m.")
    assert [p.key for p in result.people] == ["dana-k", "eli-m"]


def test_parse_text_errors():
    with pytest.raises(UploadError, match="Nothing was pasted"):
        parse_text("  \n ")
    with pytest.raises(UploadError, match="No LinkedIn profile URLs"):
        parse_text("https://www.linkedin.com/company/acme\nhello")


def test_parse_text_accepts_pasted_connections_csv():
    text = HEADER + "\nAna,Lopes,https://www.linkedin.com/in/ana-lopes-pt,,Lopes,CFO,01 Jan 2026\n"
    result = parse_text(text)
    assert result.kind == "connections_csv" and result.people[0].company == "Lopes"


@needs_shared
def test_shared_connections_sample():
    result = parse_upload("Connections_sample.csv",
                          (SHARED_FORMATS / "Connections_sample.csv").read_bytes())
    assert result.kind == "connections_csv"
    assert result.stats["blank_rows"] == 1
    assert result.stats["people_without_url"] == 1  # the row with an empty URL is kept by name
    assert len(result.people) == result.stats["rows"] - 1 == 14
    people = {p.key: p for p in result.people}
    assert people["amara-lindqvist"].company == "Kestrel & Finch Advisory, LLP"
    assert people["wren-halloway-cpa"].name == "Wren Halloway, CPA"
    assert people["olga-sidorenko-pm"].title == 'VP, Product "Data Platform"'
    assert people["tobias-gruenwald"].name == "Tobias Grünwald"
    assert people["clara-moreau-greenops"].name.startswith("\U0001f33f")
    assert "farid-nasser" not in people


def test_junk_text_is_refused_fast_and_base64_is_no_profile_path():
    """60 MB of base64 text: no profile (a ``+/in/x`` inside base64 is not a relative path), and
    refused quickly (the pre-check skips lines without "/in/" or "linkedin"; the regex ran at
    every character before: 25 s). The bound is generous; benchmarks/bench_upload_junk.py prints
    the real time (under 1 s here)."""
    import base64
    import random
    import time

    from icp_engine.ingest.upload import UploadError, parse_upload

    raw = random.Random(7).randbytes(45 * 1024 * 1024)
    for data in (base64.encodebytes(raw), base64.b64encode(raw) + b"+/in/notaperson+/in/x"):
        t0 = time.perf_counter()
        with pytest.raises(UploadError, match="No LinkedIn profile URLs were found"):
            parse_upload("junk.txt", data)
        assert time.perf_counter() - t0 < 10.0
    # real lists still work: relative paths after a separator, absolute URLs inside long lines
    got = parse_upload("urls.txt", b"/in/ada-lovelace, x /in/grace-hopper\n" + b"y" * 10_000
                       + b" https://www.linkedin.com/in/alan-turing/ " + b"z" * 10_000)
    assert sorted(p.vanity for p in got.people) == ["ada-lovelace", "alan-turing", "grace-hopper"]
