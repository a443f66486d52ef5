"""The ICP side of title matching: the grammar of occupation-group phrases.

Official occupation indexes (and clients copying them) phrase a target as a *group*: "Financial
managers and directors", "Sales representatives, wholesale and manufacturing", "Lawyers, judges,
and related workers", "Production managers and directors in manufacturing", "Clerks not
elsewhere classified". A lead holds one job title, so the scorer compares it with each job a
group names (:func:`expand_group`). The rules are grammar only - no list of job titles:

* parenthesised asides ("(excluding ICT)"), "n.e.c." / "not elsewhere classified", "all other",
  a leading "other" / "miscellaneous", "and related workers / occupations" and a trailing
  ", except ..." / "excluding ..." clause are dropped (they say what is *not* in the group, or
  that the group is a remainder, never name a job);
* the phrase is split on commas, "and", "or", "&", "/", ";" into parts;
* a part that names no role borrows the shared head of the next part that names one: the role
  noun at its end plus, when the next part starts with an adjective that the part does not
  parallel ("Sales ... public relations professionals"), nothing else - "Sales professionals";
  otherwise everything after its first word ("Software ... Web Developers" -> "Software
  Developers");
* a single plural word with a person suffix (-ians, -ists, -ers, -ors, -ants, -eers) is a role by
  itself ("Logisticians");
* parts that name no role *after* the last role part qualify it ("Sales representatives,
  wholesale and manufacturing" -> "wholesale sales representatives");
* a bare one-word role after a qualified one inherits the qualifier ("Financial managers and
  directors" -> "Financial directors");
* a trailing prepositional qualifier ("... in manufacturing") is the group's setting: kept only
  on a job that is a bare role noun ("directors in manufacturing"); a coordinated object is
  distributed ("Head of sales and marketing" -> "Head of sales", "Head of marketing").

:func:`implied_tiers` reads "top" before a role ("Top executives", "top management") as C-level,
and the scorer treats such an ICP as the C-suite (chief officers get the C-suite floor).

Measured (scorer 3.3.1 -> 3.4.0, ``benchmarks/fit_title_model.py``, leave-one-track-out test
nDCG@10 / AUC): raw model onet 0.812 / 0.959 and esco_jobbert 0.864 / 0.930 unchanged, occupation
groups 0.660 / 0.899 -> 0.661 / 0.901 (dev 0.619 -> 0.622); whole scorer (``--pipeline``) onet
0.810, esco_jobbert 0.889 unchanged, groups 0.666 / 0.884 -> 0.668 / 0.886. Most of the
benchmark's group titles already split correctly; the grammar is for phrasings it has few of.
Tried and not kept (same table): each group of managers also covering the next grade up (4 -> 5)
lifts the SOC half of the groups track (+0.005 test, +0.012 dev) but moves the weights fitted
with it so that onet falls to 0.809 (whole scorer 0.808, esco_jobbert 0.885); every grade up
(2 -> 3 too) 0.659 on groups; singular forms of the jobs, the centroid of a target's jobs for
``ccen``, a soft-max over one target's jobs, dropping the whole phrase or the bare role nouns,
down-weighting bare role nouns, generic-head variants ("X workers" -> "X specialists"): groups
within +-0.003 and onet or esco_jobbert down by up to 0.015; the floors read from the jobs as
well as the phrase: groups -0.003 test / +0.002 dev.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .targets import ROLE_NOUNS, _singular

_SPLIT = re.compile(r"\s*(?:,|;|/|&|\+|\band\b|\bor\b)\s*", re.I)
_PARENS = re.compile(r"\([^()]*\)")
#: Remainder markers and exclusion clauses of official group titles (grammar, not job names).
_DROP = [
    re.compile(r"\bn\.?\s?e\.?\s?c\.?(?=\W|$)", re.I),
    re.compile(r"\bnot elsewhere classified\b", re.I),
    re.compile(r"\b(?:and|&)\s+(?:other\s+)?related\s+(?:workers|occupations|professionals|jobs)\b", re.I),
    re.compile(r"^\s*(?:all\s+other|other|miscellaneous)\s+", re.I),
    re.compile(r",?\s*\b(?:all\s+other|except|excluding|excl\.?|other than)\b.*$", re.I),
]
_PREP = re.compile(r"\s+\b((?:in|of|for|at|within)\s+[a-z][a-z\s&/,-]*)$", re.I)
_PERSON_PLURAL = re.compile(r"[a-z][a-z-]{2,}(?:ians|ists|ers|ors|ants|ents|eers)$", re.I)
_ADJ = re.compile(r"[a-z]{2,}(?:al|ic|ive|ous|ary|ory|ed|ish|ful|less|able|ible)$", re.I)
_MAX_VARIANTS = 8


def _is_role_word(w: str) -> bool:
    return _singular(w) in ROLE_NOUNS


def _has_role(part: str) -> bool:
    return any(_is_role_word(w) for w in re.findall(r"[A-Za-z]+", part))


def clean_group(title: str) -> str:
    """``title`` without asides, remainder markers and exclusion clauses, spaces collapsed.

    ``"Sales representatives, wholesale and manufacturing, except technical products"`` ->
    ``"Sales representatives, wholesale and manufacturing"``; ``"Lawyers, judges, and related
    workers"`` -> ``"Lawyers, judges"``; ``"Other administrative occupations n.e.c."`` ->
    ``"administrative occupations"``."""
    t = _PARENS.sub(" ", title or "")
    for rx in _DROP:
        t = rx.sub(" ", t)
    t = re.sub(r"\s+", " ", t).strip(" ,;")
    return re.sub(r"(?:\s*,)?\s*\b(?:and|or)$", "", t, flags=re.I).strip(" ,;")


def _shared_head(part: str, nxt: str) -> str:
    """The words ``part`` (no role noun) borrows from ``nxt`` (the next part naming a role)."""
    words = nxt.split()
    if len(words) == 1:
        return nxt
    first_adj = bool(_ADJ.fullmatch(words[0]))
    mine = part.split()
    if first_adj and not _ADJ.fullmatch(mine[-1]) and len(words) >= 3:
        # "Sales" does not parallel "public" in "public relations professionals": it parallels
        # the adjective's noun phrase and shares only what follows it
        return " ".join(words[2:])
    return " ".join(words[1:])


@lru_cache(maxsize=20_000)
def expand_group(title: str) -> tuple[str, ...]:
    """The job titles a target phrase names, the (cleaned) whole phrase first, deduplicated
    case-insensitively, case kept, at most 8.

    ``"Financial managers and directors"`` -> ``("Financial managers and directors", "Financial
    managers", "Financial directors")``; ``"Sales, marketing and public relations
    professionals"`` -> ``(..., "Sales professionals", "marketing professionals", "public
    relations professionals")``; ``"CFO"`` -> ``("CFO",)``; ``""`` -> ``()``.
    """
    whole = clean_group(title)
    if not whole:
        return ()
    prep = ""
    m = _PREP.search(whole)
    body = whole
    if m and _has_role(whole[: m.start()]):
        prep, body = m.group(1), whole[: m.start()]
        if len(_SPLIT.split(body)) < 2:  # "Head of sales and marketing": "Head of sales", ...
            word, _, obj = prep.partition(" ")
            objs = [o.strip() for o in _SPLIT.split(obj) if o.strip()]
            if len(objs) < 2:
                return (whole,)
            return _dedup([whole] + [f"{body} {word} {o}" for o in objs])
    parts = [p.strip() for p in _SPLIT.split(body) if p and p.strip()]
    if len(parts) < 2:
        return (whole,)
    roles = [_has_role(p) or bool(_PERSON_PLURAL.fullmatch(p)) for p in parts]
    out: list[str] = []
    last_role = max((i for i, r in enumerate(roles) if r), default=-1)
    # qualifiers written after the jobs, behind a comma ("..., wholesale and manufacturing")
    inverted = last_role >= 0 and bool(re.search(re.escape(parts[last_role]) + r"\s*,", body))
    for i, p in enumerate(parts):
        words = p.split()
        if roles[i]:
            if len(words) == 1 and i > 0 and roles[i - 1]:
                prev = parts[i - 1].split()
                if len(prev) >= 2 and _is_role_word(prev[-1]):
                    out.append(p)
                    out.append(" ".join(prev[:-1] + words))
                    continue
            out.append(p)
            continue
        if i > last_role >= 0 and inverted:  # "Sales representatives, wholesale and manufacturing"
            out.append(f"{p} {parts[last_role]}")
            continue
        nxt = next((parts[j] for j in range(i + 1, len(parts)) if roles[j]), None)
        if nxt is not None:
            out.append(f"{p} {_shared_head(p, nxt)}")
    if prep:  # the qualifier is the group's setting: kept only where a job is a bare role noun
        out = [v if len(v.split()) > 1 else f"{v} {prep}" for v in out]
    return _dedup([whole] + out)


def _dedup(variants: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for v in variants:
        if v and v.lower() not in {x.lower() for x in out}:
            out.append(v)
    return tuple(out[:_MAX_VARIANTS])


#: "top" qualifying a role or "management" ("top executives", "top management"): the C-suite.
_TOP = re.compile(r"\btop(?:[\s-]+level)?\s+(?:[a-z]+\s+)?(?:management|leadership|" + "|".join(
    sorted(ROLE_NOUNS)) + r")s?\b", re.I)


def names_top_level(title: str) -> bool:
    """True when "top" qualifies the role or management of ``title`` ("Top executives", "top
    management"): the phrase means the C-suite as a group, whatever its role noun."""
    return bool(_TOP.search(clean_group(title)))


def implied_tiers(title: str) -> set[int]:
    """Seniority tiers (0-7, :data:`titles.SENIORITY_LEVELS`) the jobs of an ICP title read as.

    The tier of each job :func:`expand_group` names (plural role nouns made singular,
    :func:`functions.classify_title`), plus C-level (7) when "top" qualifies the role ("Top
    executives", "top management team"): the lexicon reads "executive" alone as a grade-less
    role. ``"Financial managers and directors"`` -> ``{4, 5}``; ``""`` -> ``set()``."""
    from .functions import classify_title
    from .targets import singular_roles

    out = {c.tier for c in (classify_title(singular_roles(v)) for v in expand_group(title))
           if c.tier is not None}
    if names_top_level(title):
        out.add(7)
    return out
