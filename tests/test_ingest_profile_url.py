"""Canonical profile keys (FORMATS.md §A.3 / §A.5): every URL form, junk, and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icp_engine.ingest.profile_url import (
    ProfileRef,
    canonical_key,
    id_from_urn,
    is_profile_id,
    profile_ref,
)

PID = "ACoAAB1ngr1dS0lb3rgFjordL1ghtAnalyt1cs0"
MPU = "urn%3Ali%3Afs_miniProfile%3A" + PID


@pytest.mark.parametrize(
    ("href", "key", "profile_id", "vanity"),
    [
        ("https://www.linkedin.com/in/nora-v-3b2a1c", "nora-v-3b2a1c", None, "nora-v-3b2a1c"),
        ("https://www.linkedin.com/in/nora-v-3b2a1c/", "nora-v-3b2a1c", None, "nora-v-3b2a1c"),
        (f"https://www.linkedin.com/in/nora-v?miniProfileUrn={MPU}", "nora-v", PID, "nora-v"),
        (f"https://www.linkedin.com/in/{PID}?miniProfileUrn={MPU}", PID, PID, None),
        (f"https://www.linkedin.com/in/{PID}", PID, PID, None),
        (f"https://www.linkedin.com/in/rafa?miniProfileUrn={MPU}&amp;lipi=urn%3Ali%3Apage%3Ax%3D%3D",
         "rafa", PID, "rafa"),
        (f"https://www.linkedin.com/in/rafa?miniProfileUrn={MPU}&lipi=urn%3Ali%3Apage%3Ax%3D%3D",
         "rafa", PID, "rafa"),
        ("/in/aoife-brennan-ops/", "aoife-brennan-ops", None, "aoife-brennan-ops"),
        ("in/aoife-brennan-ops", "aoife-brennan-ops", None, "aoife-brennan-ops"),
        ("https://www.linkedin.com/in/j%C3%BCrgen-albrecht-b3/", "jürgen-albrecht-b3", None,
         "jürgen-albrecht-b3"),
        ("https://www.linkedin.com/in/ViktorHale", "viktorhale", None, "viktorhale"),
        ("https://www.linkedin.com/in/x-y/recent-activity/all/", "x-y", None, "x-y"),
        ("https://www.linkedin.com/in/x-y/overlay/contact-info/", "x-y", None, "x-y"),
        ("https://www.linkedin.com/in/x-y/details/experience/", "x-y", None, "x-y"),
        ("https://de.linkedin.com/in/x-y", "x-y", None, "x-y"),
        ("https://linkedin.com/in/x-y", "x-y", None, "x-y"),
        ("http://m.linkedin.com/in/x-y", "x-y", None, "x-y"),
        ("https://www.linkedin.com/in/x-y/en", "x-y", None, "x-y"),
        ("linkedin.com/in/x-y", "x-y", None, "x-y"),
        ("www.linkedin.com/in/x-y?trk=abc", "x-y", None, "x-y"),
        ("//www.linkedin.com/in/x-y", "x-y", None, "x-y"),
        ("  https://www.linkedin.com/in/x-y#experience  ", "x-y", None, "x-y"),
        ("HTTPS://WWW.LINKEDIN.COM/IN/X-Y", "x-y", None, "x-y"),
    ],
)
def test_url_forms(href, key, profile_id, vanity):
    ref = profile_ref(href)
    assert ref is not None
    assert (ref.key, ref.profile_id, ref.vanity) == (key, profile_id, vanity)
    assert ref.profile_url.startswith("https://www.linkedin.com/in/")
    assert profile_ref(ref.profile_url).key == key
    assert "?" not in ref.profile_url and "#" not in ref.profile_url
    assert canonical_key(href) == key


def test_url_keeps_query_and_is_absolute():
    ref = profile_ref(f"https://www.linkedin.com/in/rafa?miniProfileUrn={MPU}&amp;lipi=x%3D")
    assert ref.url == f"https://www.linkedin.com/in/rafa?miniProfileUrn={MPU}&lipi=x%3D"
    assert profile_ref("/in/abc/").url == "https://www.linkedin.com/in/abc/"


def test_percent_encoded_profile_url_is_ascii():
    ref = profile_ref("https://www.linkedin.com/in/j%C3%BCrgen-albrecht-b3/")
    assert ref.profile_url == "https://www.linkedin.com/in/j%C3%BCrgen-albrecht-b3"
    assert ref.profile_url.isascii()


def test_id_case_is_kept_and_lowercase_id_is_a_vanity():
    assert profile_ref(f"/in/{PID}").key == PID
    lowered = profile_ref(f"/in/{PID.lower()}")
    assert lowered.key == PID.lower() and lowered.profile_id is None


@pytest.mark.parametrize(
    "href",
    [
        "https://www.linkedin.com/company/quillstone-systems/",
        "https://www.linkedin.com/company/quillstone/life/",
        "https://www.linkedin.com/school/x/",
        "https://www.linkedin.com/showcase/x/",
        "https://www.linkedin.com/feed/hashtag/?keywords=cfo",
        "https://www.linkedin.com/mynetwork/",
        "https://www.linkedin.com/search/results/people/headless?origin=FOLLOWERS_LIST",
        "https://www.linkedin.com/sales/lead/ACwAABpQr7sBxyzFakeLeadId00000000000,NAME_SEARCH,z",
        "https://www.linkedin.com/m/logout/",
        "https://about.linkedin.com/",
        "https://www.linkedin.com/in/",
        "https://www.linkedin.com/in//",
        "https://evil.example/in/x-y",
        "https://linkedin.com.evil.example/in/x-y",
        "https://notlinkedin.com/in/x-y",
        "javascript:alert('/in/x')",
        "mailto:x@linkedin.com",
        "ftp://www.linkedin.com/in/x-y",
        "http://[::1",
        "https://www.linkedin.com/in/a%2Fb",
        "https://www.linkedin.com/in/%ff%fe",
        "https://www.linkedin.com/in/a%20b",
        "/in/..",
        "https://www.linkedin.com/in/./",
        "/in/../company/x",
        "/in/-",
        "https://www.linkedin.com/in/" + "x" * 500,
        "/in/" + "y" * 10_000,
        "",
        "   ",
        None,
        42,
    ],
)
def test_not_profile_links(href):
    assert profile_ref(href) is None


def test_helpers():
    assert is_profile_id(PID)
    assert not is_profile_id(PID[:-1]) and not is_profile_id(PID + "x") and not is_profile_id(None)
    assert id_from_urn(f"urn:li:fs_miniProfile:{PID}") == PID
    assert id_from_urn(f"urn:li:fsd_profile:{PID}") == PID
    assert id_from_urn("urn:li:member:12345") is None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(),
    st.text().map(lambda s: "https://www.linkedin.com/in/" + s),
    st.text().map(lambda s: "/in/" + s),
    st.text(alphabet="%/?#&;=:.ACoa0-_ %", max_size=60).map(lambda s: "linkedin.com/in/" + s),
))
def test_profile_ref_never_raises_and_round_trips(href):
    ref = profile_ref(href)
    if ref is None:
        return
    assert isinstance(ref, ProfileRef)
    assert ref.key and ref.key == (ref.profile_id if ref.vanity is None else ref.vanity)
    again = profile_ref(ref.profile_url)
    assert again is not None
    assert again.key == ref.key
    assert again.profile_url == ref.profile_url
