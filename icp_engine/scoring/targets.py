"""ICP target titles written as occupation *groups* -> the single job titles they list.

Clients and official occupation indexes often phrase a target as a group: "Financial managers
and directors", "Software and web developers, programmers and testers", "Sales, marketing and
development managers". A lead holds one job title, so the scorer compares it with each job the
group names as well as with the whole phrase. :func:`expand_target` splits the phrase on
commas, "and", "or", "&" and "/" and gives a part that names no role the role words of the next
part ("Software" + "Web Developers" -> "Software Developers"); a one-word role after a qualified
role inherits the qualifier ("Financial managers and directors" -> "financial directors").
Parenthesised asides ("(excluding ICT)", "(CEO)") are dropped. Pure grammar: no job list.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Nouns that name a person's role (singular); a part with none of them borrows a head noun.
ROLE_NOUNS = frozenset(
    "manager director head chief officer executive president founder owner partner lead leader "
    "supervisor controller treasurer engineer developer programmer tester analyst scientist "
    "specialist consultant advisor adviser administrator accountant auditor attorney lawyer "
    "counsel judge clerk designer architect nurse recruiter representative rep coordinator "
    "associate assistant agent buyer planner technician operator teacher professor lecturer "
    "worker professional expert strategist editor writer marketer bookkeeper broker trader "
    "banker physician doctor therapist pharmacist secretary receptionist salesperson seller "
    "cashier labourer laborer driver mechanic installer inspector investigator economist "
    "statistician actuary underwriter officer entrepreneur practitioner instructor trainer "
    "vp ceo cfo coo cto cio cmo cro cso cpo ciso chro gm md dean principal superintendent "
    "foreman chair chairman member staff team crew aide helper".split()
)

_SPLIT = re.compile(r"\s*(?:,|;|/|&|\+|\band\b|\bor\b)\s*", re.I)
_PARENS = re.compile(r"\([^()]*\)")


def _singular(w: str) -> str:
    w = w.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def _has_role(part: str) -> bool:
    return any(_singular(w) in ROLE_NOUNS for w in re.findall(r"[A-Za-z]+", part))


@lru_cache(maxsize=20_000)
def expand_target(title: str) -> tuple[str, ...]:
    """The job titles a target phrase names, the whole phrase first (deduplicated, case kept).

    ``"Financial managers and directors"`` -> ``("Financial managers and directors", "Financial
    managers", "Financial directors", "directors")``; ``"CFO"`` -> ``("CFO",)``. At most 8
    variants; a phrase with no separator is returned alone.
    """
    whole = re.sub(r"\s+", " ", _PARENS.sub(" ", title or "")).strip(" ,;")
    if not whole:
        return ()
    parts = [p.strip() for p in _SPLIT.split(whole) if p and p.strip()]
    if len(parts) < 2:
        return (whole,)
    out: list[str] = []
    for i, p in enumerate(parts):
        words = p.split()
        if _has_role(p):
            out.append(p)
            # "Financial managers and directors": a bare role after a qualified one
            if len(words) == 1 and i > 0:
                prev = parts[i - 1].split()
                if len(prev) >= 2 and _has_role(prev[-1]):
                    out.append(" ".join(prev[:-1] + words))
            continue
        # no role noun: borrow the role words of the next part that has one
        for nxt in parts[i + 1:]:
            if _has_role(nxt):
                tail = nxt.split()[1:] if len(nxt.split()) > 1 else nxt.split()
                out.append(" ".join(words + tail))
                break
    variants = [whole]
    for v in out:
        if v and v.lower() not in {x.lower() for x in variants}:
            variants.append(v)
    return tuple(variants[:8])


def singular_roles(text: str) -> str:
    """``text`` with plural role nouns made singular ("Financial managers and directors" ->
    "Financial manager and director"), so seniority and function rules read group phrases."""
    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        s = _singular(w)
        if s != w.lower() and s in ROLE_NOUNS:
            return s if w.islower() else (s.capitalize() if w[:1].isupper() else s)
        return w

    return re.sub(r"[A-Za-z]+", fix, text or "")
