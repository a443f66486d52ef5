"""ICP target titles written as occupation *groups* -> the single job titles they list.

Clients and official occupation indexes often phrase a target as a group: "Financial managers
and directors", "Software and web developers, programmers and testers", "Sales, marketing and
development managers". A lead holds one job title, so the scorer compares it with each job the
group names as well as with the whole phrase. :func:`expand_target` splits the phrase
(:func:`icp_engine.scoring.icp_side.expand_group`, the grammar of group titles); this module
holds the role nouns that grammar reads and :func:`singular_roles`. Pure grammar: no job list.
"""

from __future__ import annotations

import re

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
    "foreman chair chairman member staff team crew aide helper "
    # more person nouns of occupation titles (ISCO-08 / US SOC phrasing: "senior officials and
    # legislators", "shop sales assistants", "couriers and messengers", ...)
    "official legislator proprietor attendant dealer collector courier messenger handler sorter "
    "estimator appraiser assessor adjuster examiner surveyor translator interpreter librarian "
    "archivist curator paralegal journalist reporter photographer artist musician chef cook baker "
    "waiter bartender cleaner janitor guard firefighter pilot dispatcher scheduler teller steward "
    "carer caregiver midwife dentist surgeon paramedic optician psychologist counsellor counselor "
    "chemist physicist biologist geologist mathematician researcher intern apprentice trainee "
    "educator tutor coach mentor author copywriter producer promoter merchandiser organiser "
    "organizer facilitator".split()
)

def _singular(w: str) -> str:
    w = w.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def expand_target(title: str) -> tuple[str, ...]:
    """The job titles a target phrase names, the whole phrase first (deduplicated, case kept).

    ``"Financial managers and directors"`` -> ``("Financial managers and directors", "Financial
    managers", "directors", "Financial directors")``; ``"CFO"`` -> ``("CFO",)``. At most 8
    variants. The grammar (shared heads, remainder markers, inverted qualifiers, ...) is
    :func:`icp_engine.scoring.icp_side.expand_group`'s."""
    from .icp_side import expand_group

    return expand_group(title)


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
