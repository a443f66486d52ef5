"""The lexicon matcher of ``titles`` (one dictionary probe per word prefix) finds exactly what the
per-entry regex ``\\b(?:w1|w2...)`` plus phrase substrings found before it (scorer 3.6 speed-up)."""

from __future__ import annotations

import re

import pytest

from icp_engine.scoring import titles as T


def _reference(norm: str, lex: dict[str, tuple[str, ...]]) -> frozenset[str]:
    padded = " " + norm + " "
    out = set()
    for name, words in lex.items():
        plain = [w for w in words if " " not in w and w.isalpha()]
        phrases = tuple(" " + w for w in words if not (" " not in w and w.isalpha()))
        pat = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in plain) + ")") if plain else None
        if (pat is not None and pat.search(padded)) or any(p in padded for p in phrases):
            out.add(name)
    return frozenset(out)


TITLES = [
    "Senior Manager, FP&A (EMEA) - 2nd shift", "CEO & Co-Founder | Advisor", "Ingénieur d'études",
    "vp_sales", "3D artist", "Data Scientist II", "Head of People/HR", "R&D Director", "", "   ",
    "Chief Financial Officer", "Payroll Coordinator", "Account Executive", "Nurse Practitioner",
    "Software Engineer", "Marketing Specialist", "Registered Nurse (RN)", "Finance Business Partner",
    "Teacher's assistant", "Sales Development Representative", "Paralegal", "Owner-operator",
    "Directeur commercial", "Übersetzer", "IT Support Technician", "Procurement Lead", "sr. accountant",
]


@pytest.mark.parametrize("lexicon", ["ROLE_KINDS", "FUNCTIONS"])
def test_same_matches_as_the_regex_per_entry(lexicon: str) -> None:
    lex = getattr(T, lexicon)
    seen = 0
    for raw in TITLES:
        for text in (T.normalize_title(raw), raw.lower()):
            got = T._match_lexicon(text, lex)
            assert got == _reference(text, lex), (raw, text)
            seen += len(got)
    assert seen > 20  # the titles do hit the lexicon: the comparison is not of empty sets


def test_words_match_as_prefixes_of_title_words_only() -> None:
    lex = {"a": ("account",), "b": ("sales ops",), "c": ("nurse",)}
    assert T._match_lexicon("accountant", lex) == {"a"}  # prefix of a word
    assert T._match_lexicon("subaccount", lex) == frozenset()  # not inside a word
    assert T._match_lexicon("head of sales ops", lex) == {"b"}  # phrase as a substring
    assert T._match_lexicon("nurses", lex) == {"c"}
