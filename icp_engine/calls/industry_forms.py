"""Spoken forms of every LinkedIn V2 industry label, derived from the labels themselves.

People do not say "Dairy Product Manufacturing" on a call; they say "dairy", "dairy producers",
"dairies". Instead of listing such forms by hand, :func:`derived_forms` builds them from
:data:`icp_engine.taxonomy.INDUSTRIES` with a few rules of English word formation:

* **conjuncts**: a label naming several things is split ("Bars, Taverns, and Nightclubs" -> bars,
  taverns, nightclubs; "Glass, Ceramics and Concrete Manufacturing" -> glass manufacturing,
  ceramics manufacturing, concrete manufacturing: a shared head is distributed);
* **core and kind**: a generic tail is split off ("Solar Electric Power Generation" -> core
  *solar*, kind *generation*; "Meat Products Manufacturing" -> *meat*, *manufacturing*;
  "Veterinary Services" -> *veterinary*, *services*; "Retail Groceries" -> *groceries*, *retail*);
  the core followed by a business noun of that kind ("meat processors", "solar developers",
  "veterinary practices", "book publishers") or of any kind ("dairy companies") names the label;
* **gerunds and agents**: "Farming" -> farmers, farms; "Ranching" -> ranchers, ranches;
  "Publishing" -> publishers (the ``-ing`` activity, its ``-er`` agent and, for one-word labels,
  its stem noun);
* **number**: plural and singular of the last word;
* **one word dropped**: "Sheet Music Publishing" -> music publishing, "Retail Art Dealers" -> art
  dealers, when no other label ends the same way.

Each form is **strong** (a phrase of several words, or a whole label: it names the industry on its
own) or **weak** (one bare word such as *wind*, *dairy*, *sound*, *glass*: also an everyday word,
so :func:`icp_engine.calls.lexicon.find_industries` takes it only in context - a business noun
after it, "in"/"into" before it, a verb such as "add"/"drop" before it, or a list with another
industry). A form two labels share is dropped unless one label owns it exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..taxonomy import INDUSTRIES, INDUSTRY_PARENT

__all__ = ["Form", "KIND_NOUNS", "GENERIC_NOUNS", "derived_forms", "core_kinds", "plural_forms", "singular"]

#: Generic tails of V2 labels and the kind of business each marks (longest first when matching).
_TAILS: tuple[tuple[str, str], ...] = (
    ("electric power generation", "generation"), ("power generation", "generation"),
    ("products manufacturing", "manufacturing"), ("product manufacturing", "manufacturing"),
    ("equipment manufacturing", "manufacturing"), ("manufacturing", "manufacturing"),
    ("publishing", "publishing"), ("production", "production"), ("services", "services"),
    ("programs", "services"), ("providers", "services"), ("facilities", "services"), ("institutions", "services"),
    ("organizations", "services"), ("practices", "services"), ("contractors", "construction"),
    ("construction", "construction"), ("transportation", "transportation"), ("extraction", "extraction"),
    ("mining", "extraction"), ("research", "research"), ("platforms", "platforms"), ("broadcasting", "production"),
)
#: Heads that come first ("Retail Groceries", "Wholesale Machinery").
_PREFIX_HEADS: tuple[tuple[str, str], ...] = (("retail", "retail"), ("wholesale", "wholesale"))

#: Business nouns that say which kind of business a core word names ("meat *processors*").
KIND_NOUNS: dict[str, tuple[str, ...]] = {
    "manufacturing": ("manufacturers", "manufacturer", "makers", "maker", "producers", "producer", "processors",
                      "processor", "manufacturing", "processing", "production", "plants", "mills", "factories"),
    "generation": ("developers", "developer", "generators", "generation", "producers", "farms", "projects",
                   "operators", "power", "energy"),
    "publishing": ("publishers", "publisher", "publishing", "presses", "press"),
    "production": ("producers", "producer", "production", "studios", "studio"),
    "services": ("practices", "practice", "clinics", "clinic", "services", "service", "providers", "provider",
                 "centres", "centers"),
    "construction": ("contractors", "contractor", "builders", "builder", "construction"),
    "transportation": ("operators", "operator", "carriers", "carrier", "transportation", "transport"),
    "extraction": ("producers", "operators", "mines", "miners", "extraction"),
    "research": ("labs", "laboratories", "research"),
    "platforms": ("platforms", "platform", "apps"),
    "retail": ("retailers", "retailer", "retail", "shops", "shop", "stores", "store", "chains"),
    "wholesale": ("wholesalers", "wholesaler", "wholesale", "distributors", "distributor"),
}
#: Business nouns of any kind ("dairy *companies*").
GENERIC_NOUNS: tuple[str, ...] = (
    "companies", "company", "firms", "firm", "businesses", "business", "brands", "groups", "group", "operations",
    "organisations", "organizations", "orgs", "outfits", "players", "houses", "sector", "sectors", "industry",
    "industries", "space", "market", "world", "side", "startups", "start-ups", "scale-ups", "scaleups", "co-ops",
    "cooperatives", "enterprises", "owners", "operators", "clients", "customers", "vendors",
)

#: Top-level V2 groups whose businesses make or grow things: there the ``-er`` agent of an activity
#: is the business ("farmers", "publishers", "brewers"); in service sectors it is a worker or a
#: customer ("recruiters", "marketers", "advertisers"), so no agent or stem forms are derived there.
PRODUCING_SECTORS = frozenset({"Manufacturing", "Farming, Ranching, Forestry", "Oil, Gas, and Mining", "Construction",
                               "Technology, Information and Media", "Utilities"})
_PREFIX_WORDS = frozenset({"retail", "wholesale"})


def _top(label: str) -> str:
    while INDUSTRY_PARENT.get(label) is not None:
        label = INDUSTRY_PARENT[label]  # type: ignore[assignment]
    return label


_STOP = frozenset("""and or of the a an for to in on at by with""".split())


@dataclass(frozen=True)
class Form:
    """A derived spoken form: ``label`` (V2), ``strong`` (names the label on its own) and ``kind``
    (business kind of its label's tail; "" when the label has none)."""

    label: str
    strong: bool
    kind: str = ""


def singular(word: str) -> str:
    """Singular of an English noun by regular rules (``bakeries`` -> ``bakery``, ``ranches`` -> ``ranch``)."""
    low = word.lower()
    if len(low) <= 3:
        return word
    if low.endswith("ies") and len(low) > 4:
        return word[:-3] + "y"
    if low.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if low.endswith("s") and not low.endswith(("ss", "us", "is", "ics", "ops")):
        return word[:-1]
    return word


def plural_forms(word: str) -> set[str]:
    """The word, its singular and its plural by regular rules."""
    low = word.lower()
    out = {low}
    if low.endswith("s"):
        out.add(singular(low))
        return out
    sing = low
    if sing.endswith("y") and len(sing) > 2 and sing[-2] not in "aeiou":
        out.add(sing[:-1] + "ies")
    elif sing.endswith(("s", "x", "ch", "sh", "z")):
        out.add(sing + "es")
    else:
        out.add(sing + "s")
    return out


def _agent(gerund: str) -> str | None:
    """``farming`` -> ``farmer``; ``publishing`` -> ``publisher``; None when not an ``-ing`` word."""
    if not gerund.endswith("ing") or len(gerund) < 6:
        return None
    return gerund[:-3] + "er"


def _stem_noun(gerund: str) -> str | None:
    """``farming`` -> ``farm``; ``ranching`` -> ``ranch`` (None when too short to be safe)."""
    if not gerund.endswith("ing"):
        return None
    stem = gerund[:-3]
    if len(stem) >= 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
        stem = stem[:-1]
    return stem if len(stem) >= 4 else None


def _split_conjuncts(low: str) -> list[str]:
    parts = [p.strip() for p in re.split(r",\s*(?:and\s+)?|\s+and\s+", low) if p.strip()]
    if len(parts) < 2:
        return [low]
    last = parts[-1]
    for tail, _kind in _TAILS:
        if last.endswith(" " + tail):
            parts = [p if (" " in p or p == last) else f"{p} {tail}" for p in parts]
            break
    return parts


def _core(phrase: str) -> tuple[str, str]:
    """(core, kind) of a label phrase; kind "" when no generic tail/prefix."""
    for head, kind in _PREFIX_HEADS:
        if phrase.startswith(head + " ") and len(phrase) > len(head) + 1:
            return phrase[len(head) + 1:], kind
    for tail, kind in _TAILS:
        if phrase.endswith(" " + tail):
            core = phrase[: -len(tail) - 1].strip()
            if core and core not in _STOP:
                return core, kind
    return phrase, ""


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, Form], dict[str, tuple[tuple[str, str], ...]]]:
    labels = {lab.lower(): lab for lab in INDUSTRIES}
    cand: dict[str, set[tuple[str, bool, str]]] = {}
    cores: dict[str, set[tuple[str, str]]] = {}

    def add(phrase: str, label: str, strong: bool, kind: str = "") -> None:
        phrase = " ".join(phrase.split())
        if not phrase or phrase in _STOP or len(phrase) < (3 if strong else 4):
            return
        cand.setdefault(phrase, set()).add((label, strong, kind))

    def add_number(phrase: str, label: str, strong: bool, kind: str = "") -> None:
        words = phrase.split()
        for w in plural_forms(words[-1]):
            add(" ".join(words[:-1] + [w]), label, strong, kind)

    for low, label in labels.items():
        add(low, label, True)
        parts = _split_conjuncts(low)
        for part in list(parts):
            words = part.split()
            if len(words) >= 3 and words[0] not in _PREFIX_WORDS:
                parts.append(" ".join(words[1:]))  # "sheet music publishing" -> "music publishing"
        producing = _top(label) in PRODUCING_SECTORS
        for part in parts:
            if part in labels and labels[part] != label:
                continue  # that label owns it
            multi = " " in part
            add_number(part, label, multi or part == low)
            core, kind = _core(part)
            if core != part:
                cores.setdefault(core, set()).add((label, kind))
                if " " in core:
                    add(core, label, True, kind)
                else:
                    for w in plural_forms(core):
                        add(w, label, False, kind)
                for noun in KIND_NOUNS.get(kind, ()):
                    add(f"{core} {noun}", label, True, kind)
                if kind == "manufacturing":
                    sc = core.split()
                    if sc[-1] in ("product", "products", "goods"):
                        if len(sc) > 1 and sc[-1] != "goods":
                            short = " ".join(sc[:-1])
                            cores.setdefault(short, set()).add((label, kind))
                            add(short, label, " " in short, kind)
                            for noun in KIND_NOUNS[kind]:
                                add(f"{short} {noun}", label, True, kind)
            last = part.split()[-1]
            agent = _agent(last) if producing else None
            if agent and last not in ("manufacturing",):
                head = " ".join(part.split()[:-1])
                for a in (agent, agent + "s"):
                    add(f"{head} {a}".strip(), label, True, kind or "")
            if " " not in part and producing:
                stem = _stem_noun(part)
                if stem:
                    for w in plural_forms(stem):
                        add(w, label, False)
    forms: dict[str, Form] = {}
    for phrase, opts in cand.items():
        if phrase in labels:
            forms[phrase] = Form(labels[phrase], True, next((k for lab, _s, k in opts if lab == labels[phrase]), ""))
            continue
        labs = {lab for lab, _s, _k in opts}
        if len(labs) > 1:
            labs = _collapse(labs)
        if len(labs) != 1:
            continue
        (lab,) = labs
        strong = any(s for la, s, _k in opts if la == lab)
        kind = next((k for la, _s, k in opts if la == lab and k), "")
        forms[phrase] = Form(lab, strong, kind)
    core_map = {c: tuple(sorted(v)) for c, v in cores.items()}
    return forms, core_map


def _collapse(labs: set[str]) -> set[str]:
    """Of labels sharing a form, keep one that is an ancestor of all the others (else all)."""
    for lab in labs:
        others = labs - {lab}
        if all(_is_ancestor(lab, o) for o in others):
            return {lab}
    return labs


def _is_ancestor(a: str, b: str) -> bool:
    p = INDUSTRY_PARENT.get(b)
    while p is not None:
        if p == a:
            return True
        p = INDUSTRY_PARENT.get(p)
    return False


def derived_forms() -> dict[str, Form]:
    """Lower-case spoken form -> :class:`Form`, for every V2 label (see the module docstring)."""
    return _tables()[0]


def core_kinds(core: str) -> tuple[tuple[str, str], ...]:
    """``(label, kind)`` pairs whose label has ``core`` as its core (``"solar"`` ->
    ``(("Solar Electric Power Generation", "generation"),)``); empty when none."""
    return _tables()[1].get(core.lower(), ())
