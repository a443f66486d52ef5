"""ICP items from one call: the :class:`Finding` type, the :class:`Extractor` interface and the
offline, deterministic :class:`OfflineExtractor` (the default; no key, no model).

A :class:`Finding` is one statement about one ICP item: *include* (the client wants it),
*exclude* (the client does not: a negation, an answer to "who is not a fit?"), or *retract* (the
client takes back an earlier item: "actually, forget healthcare"). Each carries a verbatim quote
(a sentence of the transcript), the call, timestamp, speaker and side, a weight (client 1.0,
unidentified speaker 0.8, agency 0.3, agency question the client confirmed 0.9) and whether it
is about buyers (``audience="icp"``) or people the client wants reading the content
(``audience="content"``). :mod:`icp_engine.calls.accumulate` folds findings of many calls into a
proposal.

How the offline extractor reads a call (sentence by sentence, clause by clause):

* items: titles, industries, sizes, locations, groups of people, keywords (:mod:`.lexicon`);
* polarity per clause: retraction cues > negation/exclusion cues > the question just asked
  ("Who should we ignore?" makes the answer an exclusion unless it says "is a fit"); a clause with
  only a pronoun ("we don't go after *them*") applies its cue to the items just named;
* the agency's questions are context, not content: items in a question count only when the client's
  answer starts with yes/no ("What about CTOs?" - "Fine, CTOs too");
* sizes: numbers need a people word ("staff", "employees") unless size was just asked; open bounds
  ("under 500") after a stated range mark what is outside it; funding stages are dropped when the
  client gave head counts in the same call;
* self-descriptions ("we're about 40 people ourselves") are skipped;
* audience: "for the content I want X reading it" switches the rest of the turn to the content
  audience; "but they don't buy" there confirms it rather than excluding.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from . import lexicon as L
from .model import Call, Utterance

__all__ = ["Finding", "Extractor", "OfflineExtractor", "FIELDS", "POLARITIES", "ROLE_WEIGHTS",
           "split_sentences", "PROPOSE_THRESHOLD"]

#: ICP fields a finding can be about (the keys of PROPOSAL.json and of :class:`icp_engine.domain.ICP`).
FIELDS: tuple[str, ...] = ("target_titles", "target_industries", "company_sizes", "keywords", "locations", "exclusions")
POLARITIES: tuple[str, ...] = ("include", "exclude", "retract")
#: Weight of a statement by side; an item is proposed once its support reaches PROPOSE_THRESHOLD.
ROLE_WEIGHTS: dict[str, float] = {"client": 1.0, "unknown": 0.8, "agency": 0.3, "confirmed": 0.9}
PROPOSE_THRESHOLD = 0.5


@dataclass(frozen=True)
class Finding:
    """One statement about one ICP item in one call.

    ``field``: one of :data:`FIELDS`; ``value``: title in the speaker's short form, V2 industry
    label, size band, location, keyword or exclusion phrase; ``polarity``: one of
    :data:`POLARITIES`; ``quote``: verbatim text of the transcript (a sentence); ``timestamp``:
    ``"M:SS"`` (``""`` when the format has none); ``seconds``/``order`` place it in the call;
    ``role``: ``client``/``agency``/``unknown``; ``weight``: see :data:`ROLE_WEIGHTS`;
    ``confirmed_by``: the client's answer when the item came from an agency question;
    ``audience``: ``icp`` (buyers) or ``content``.
    """

    field: str
    value: str
    polarity: str
    quote: str
    call_id: str
    call_label: str
    call_date: str | None = None
    timestamp: str = ""
    seconds: float | None = None
    speaker: str = ""
    role: str = "unknown"
    weight: float = 1.0
    audience: str = "icp"
    confirmed_by: str | None = None
    order: int = 0
    basis: str = "word"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        keys = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in d.items() if k in keys})


class Extractor(Protocol):
    """Anything that turns a call (speakers' roles assigned) into findings."""

    name: str

    def extract(self, call: Call) -> list[Finding]:
        """Findings of ``call`` in order of speech; every quote occurs verbatim in the call."""
        ...


# ===================================================================================== text helpers

_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'“(A-Z0-9])|(?<=[.!?]\")\s+|\s*—\s*$")


def split_sentences(text: str) -> list[str]:
    """Sentences of an utterance, as substrings of it (so they can be quoted verbatim)."""
    out = [s.strip() for s in _SENT_SPLIT.split(text) if s and s.strip()]
    return out or [text.strip()]


_NON_NEG = re.compile(
    r"\b(not just|not only|don't mind|do not mind|doesn't matter|does not matter|no matter|not necessarily|"
    r"no problem|not a problem|not a deal ?breaker|not bad|no doubt|no-brainer|no brainer|not sure|can't wait|"
    r"not least|no worries|why not|not too|no-one else|nothing else|not that i know)\b", re.I)
_NEG = re.compile(
    r"\b(not|no|never|don't|do not|doesn't|does not|didn't|did not|won't|will not|isn't|aren't|wasn't|weren't|"
    r"can't|cannot|couldn't|shouldn't|haven't|hasn't|avoid|exclude|excluding|except|ignore|nobody|none|neither|nor|"
    r"rather not|stay away|steer clear|keep (?:\w+ ){0,3}out|leave (?:\w+ ){0,3}out|deprioriti[sz]e|waste of time|"
    r"competitors?|competition|nightmare|out of scope|no-go|no go)\b", re.I)
_REL_BEFORE = re.compile(r"\b(that|who|which|where|when|if|because|until|unless|whether|once)\s+(?:[\w'’]+\s+){0,2}$", re.I)
_RETRACT = re.compile(
    r"\b(forget|scratch|drop|dropping|dropped|remove|removing|take (?:\w+ ){0,3}off|taking (?:\w+ ){0,3}off|"
    r"cross (?:\w+ ){0,3}off|strike (?:\w+ ){0,3}off|no longer|not (?:\w+ ){0,4}any ?more|moving away from|"
    r"move away from|moved away from|pull(?:ing)? out of|stop(?:ped)? (?:targeting|going after|selling to)|"
    r"off the table|ignore what i said|changed my mind|(?:is|are) out(?! of)|rule out|ruled out|get rid of|"
    r"pull(?:ed|ing)? back from|step(?:ped|ping)? back from|moved on from|walk(?:ed)? away from|"
    r"g[ai]v(?:e|en|ing) up on|no more|done with|not (?:doing|chasing|targeting) (?:\w+ ){0,2}any ?more|"
    r"off (?:the|our|my) (?:list|radar)|on hold|on ice|paus(?:e|ed|ing)|park(?:ed|ing)?|take (?:\w+ ){0,3}out|"
    r"taking (?:\w+ ){0,3}out|cut(?:ting)? (?:\w+ ){0,2}(?:out|loose)|lose the|not a (?:focus|priority) any ?more)\b", re.I)
_NOT_RETRACT = re.compile(r"\b(?:don't|do not|never|not) (?:forget|drop|remove)\b|\bdrop (?:me|you|us|him|her) (?:a|an)\b", re.I)
_POSITIVE = re.compile(
    r"\b((?:is|are|be|were) (?:a )?(?:great |good |decent |nice |real )?(?:fit|great|good|brilliant|ideal|perfect|"
    r"fine|ok|okay|in scope|worth|gold|important|the sweet spot)|can be a fit|love|loves|we want|i want|"
    r"target|sweet spot|nice extra|add|adding|include|works? (?:well|for us)|our best|best clients|in scope)\b", re.I)
_PRONOUN_ONLY = re.compile(r"^\W*(?:and |so |but |or )?(?:they|them|those|these|that|it|this|which|we|i|you)\b|\b(?:them|those|these|it)\b", re.I)
_BUYING = re.compile(r"\b(buy|buys|buying|buyers?|budget|purchas\w*|pay|paying|sign|signs|clients themselves|"
                     r"customers themselves|clients|customers)\b", re.I)
_AUDIENCE = re.compile(
    r"\b(for (?:the |our |my )?(?:linkedin |social )?(?:content|posts)|content side|the audience|my audience|"
    r"our audience|reading (?:it|my|our|the)|to engage|"
    r"to read|readers?|to see it|see (?:my|the|our) (?:posts|content)|engage with|share (?:my|the|our) (?:posts|content)|"
    r"followers? who|thought leadership|brand awareness|visibility|for reach)\b", re.I)
_BUYER_CUE = re.compile(r"\b(buy|buys|buyers?|budget holders?|decision[- ]makers?|sign (?:off|the)|"
                        r"sell to|who we sell|pay us|purchas\w*|ideal (?:client|customer))\b", re.I)
_SELF = re.compile(
    r"\b(?:ourselves|myself|we(?:'re| are) (?:a|an|about|around|roughly|just|only|\d+|now \d+)\b|"
    r"i(?:'m| am) (?:a|an|the)\b|our (?:team|company|firm|business|agency|practice) (?:is|has)\b|we employ\b)", re.I)
_SELF_END = re.compile(r"\b(?:selling|sell|sells|serving|serve|for|to|into|who|that|which|helping|working with)\b|[,;]", re.I)
_CLAUSE_SPLIT = re.compile(
    r"(,\s*not\s+|\s*,?\s*\b(?:but|although|though|whereas|even though|however|rather than|instead of|"
    r"as opposed to|unless|except(?: for)?)\b\s*|;\s*|\s+-\s+|\s*—\s*)", re.I)
_FORCE_EXCLUDE_CONNECTOR = re.compile(r"^\W*(?:,\s*not|rather than|instead of|as opposed to|except(?: for)?)\W*$", re.I)

_EXCLUSION_Q = re.compile(
    r"\b(not a fit|no fit|isn't a fit|aren't a fit|exclude|excluded|avoid|ignore|deprioriti[sz]e|leave out|"
    r"rule out|don't want|do not want|never going to buy|never buy|red flags?|not (?:a )?(?:good )?(?:fit|buyer|client)|"
    r"who's not|who is not|who isn't|definitely not|keep out|filter out|anyone (?:else )?to (?:avoid|exclude)|"
    r"waste (?:of )?time|don't sell to|exclusions?|rather not|shouldn't|should not|don't need|no interest|"
    r"not interested|stay away|steer clear|off limits|no-go)\b", re.I)
_SIZE_Q = re.compile(r"\b(size|sized|how big|headcount|how many (?:people|staff|employees)|employees|staff|"
                     r"small end|large end|bigger ones|smaller ones|the small|the big|people do they)\b", re.I)
_GEO_Q = re.compile(r"\b(where|geograph\w*|region|regions|countries|country|location|based)\b", re.I)
_AFFIRM = re.compile(r"\b(yes|yeah|yep|yup|sure|definitely|absolutely|exactly|correct|totally|of course|for sure|"
                     r"fine|both|spot on|please|ok|okay|right|certainly|100 percent)\b", re.I)
_DENY_START = re.compile(r"^\W*(?:(?:um|uh|hmm|oh|well|ah|god|honestly)\W+)*(no|nope|nah|not really|not at all|never|"
                         r"definitely not|absolutely not|not for us)\b", re.I)
_EXTEND = re.compile(r"\b(stretch|extend|push|go up|goes up|bit higher|bigger|expand|higher)\b", re.I)


#: A reply that contradicts the previous speaker ("No, I don't think that's true, Ollie").
_DISPUTE = re.compile(
    r"^\W*(?:(?:um|uh|hmm|oh|well|ah|sorry|actually)\W+)*(?:no\b|nope\b|nah\b|i don't think (?:so|that's (?:true|right))|"
    r"i'm not sure that's (?:true|right)|that's not (?:true|right)|not true|i disagree|i wouldn't say that)", re.I)


def _strip_non_neg(text: str) -> str:
    return _NON_NEG.sub(lambda m: "_" * len(m.group(0)), text)


def _has_neg(text: str) -> bool:
    t = _strip_non_neg(text)
    for m in _NEG.finditer(t):
        if _REL_BEFORE.search(t[:m.start()][-40:]):
            continue
        return True
    return False


def _has_retract(text: str) -> bool:
    return bool(_RETRACT.search(text)) and not _NOT_RETRACT.search(text)


def _clauses(sentence: str) -> list[tuple[int, int, bool]]:
    """(start, end, forced_exclude) of each clause of a sentence."""
    out: list[tuple[int, int, bool]] = []
    pos, force = 0, False
    for m in _CLAUSE_SPLIT.finditer(sentence):
        if m.start() > pos:
            out.append((pos, m.start(), force))
        force = bool(_FORCE_EXCLUDE_CONNECTOR.match(m.group(0)))
        pos = m.end()
    if pos < len(sentence):
        out.append((pos, len(sentence), force))
    return out or [(0, len(sentence), False)]


@dataclass
class _Item:
    field: str
    value: str
    basis: str = "word"
    spoken: str = ""
    direction: str | None = None
    start: int = -1


@dataclass
class _Turn:
    """Context the agency's last turn sets for the client's answer."""

    exclusion: bool = False
    size: bool = False
    audience: bool = False
    geo: bool = False
    question_items: list[tuple[_Item, str, str]] | None = None  # (item, polarity, question sentence)
    question_speaker: str = ""
    question_role: str = "agency"
    question_seconds: float | None = None
    question_order: int = 0


# ===================================================================================== offline extractor

class OfflineExtractor:
    """Deterministic rule-based extractor (see the module docstring). ``name == "offline"``.

    Stateless and pure: ``extract(call)`` returns the same findings for the same call. The call's
    utterances should carry roles (:func:`icp_engine.calls.roles.assign_roles`); without them every
    speaker counts as ``unknown`` (weight 0.8).
    """

    name = "offline"

    def extract(self, call: Call) -> list[Finding]:
        findings: list[Finding] = []
        turn = _Turn()
        prev_agency: list[_Turn] = []
        answered = True
        client_size_seen = False
        prev_client: tuple[str, int, int, bool] | None = None  # (speaker, first finding, end, was a question)
        for order, u in enumerate(call.utterances):
            sentences = split_sentences(u.text)
            if u.role != "agency" and prev_client is not None and order > 0 and prev_client[0] != u.speaker \
                    and not prev_client[3] and call.utterances[order - 1].speaker == prev_client[0] \
                    and _DISPUTE.match(sentences[0] if sentences else ""):
                # a colleague on the client's side contradicts what was just said: it no longer counts as said
                findings[prev_client[1]:prev_client[2]] = [
                    replace(f, weight=min(f.weight, ROLE_WEIGHTS["agency"]), basis="disputed")
                    if f.polarity == "include" else f for f in findings[prev_client[1]:prev_client[2]]]
            turn_start = len(findings)
            if u.role == "agency":
                prev_client = None
                t = _Turn(exclusion=bool(_EXCLUSION_Q.search(u.text)) and "?" in u.text,
                          size=bool(_SIZE_Q.search(u.text)),
                          audience=bool(_AUDIENCE.search(u.text)) and not _BUYER_CUE.search(u.text),
                          geo=bool(_GEO_Q.search(u.text)) and "?" in u.text,
                          question_speaker=u.speaker, question_seconds=u.seconds, question_order=order)
                qitems: list[tuple[_Item, str, str]] = []
                size_ctx = t.size or any(p.size for p in prev_agency[-1:])
                for sent in sentences:
                    per = self._sentence_items(sent, size_ctx=size_ctx, exclusion_ctx=False, audience=False)
                    if sent.rstrip().endswith("?"):
                        qitems.extend((it, pol, sent) for it, pol, _aud in per)
                    else:
                        for it, pol, aud in per:
                            findings.extend(self._emit(call, u, order, sent, it, pol, aud, ROLE_WEIGHTS["agency"]))
                t.question_items = qitems
                prev_agency.append(t)
                turn = t
                answered = False
                continue
            weight = ROLE_WEIGHTS.get(u.role, ROLE_WEIGHTS["unknown"])
            size_ctx = turn.size or any(p.size for p in prev_agency[-2:])
            audience = turn.audience
            turn_sents: list[list[tuple[str, _Item, str, str]]] = []
            for si, sent in enumerate(sentences):
                if _AUDIENCE.search(sent) and not (_BUYER_CUE.search(sent) and not _has_neg(sent)):
                    audience = True
                elif _BUYER_CUE.search(sent) and not _has_neg(sent):
                    audience = False
                excl_ctx = turn.exclusion and not _POSITIVE.search(sent)
                sent_items: list[tuple[str, _Item, str, str]] = []
                turn_sents.append(sent_items)
                for start, end, forced in _clauses(sent):
                    clause = sent[start:end]
                    items = self._clause_items(clause, size_ctx)
                    neg = _has_neg(clause) or forced
                    retract = _has_retract(clause)
                    if not items:
                        if (neg or retract) and _PRONOUN_ONLY.search(clause):
                            earlier = [x for x in turn_sents if x]
                            target = sent_items or (earlier[-1] if earlier else [])
                            self._apply_to(target, clause, retract, audience)
                        continue
                    base = "exclude" if (neg or excl_ctx) else "include"
                    pairs = [(it, base) for it in items]
                    if retract:
                        pairs = self._retraction_scope(clause, items, base)
                    aud = "content" if audience else "icp"
                    for it, ipol in self._resolve_sizes(pairs, clause, size_ctx, client_size_seen):
                        sent_items.append((ipol, it, sent, aud))
                        if it.field == "company_sizes" and ipol == "include" and it.basis in ("range", "single", "named"):
                            client_size_seen = True
                if si == 0 and not answered and turn.question_items:
                    first = sent
                    deny = bool(_DENY_START.match(first))
                    affirm = not deny and bool(_AFFIRM.search(first)) and len(first.split()) <= 12 and not _has_neg(first)
                    if affirm or deny:
                        for it, qpol, qsent in turn.question_items:
                            pol = qpol if affirm else ("exclude" if qpol == "include" else qpol)
                            for value in (it.value.split("|") if it.field == "company_sizes" else [it.value]):
                                findings.append(Finding(
                                    field=it.field, value=value, polarity=pol, quote=qsent, call_id=call.id,
                                    call_label=call.label, call_date=call.date, timestamp=Utterance("", "", turn.question_seconds).timestamp,
                                    seconds=turn.question_seconds, speaker=turn.question_speaker, role="agency",
                                    weight=ROLE_WEIGHTS["confirmed"], audience="content" if audience else "icp",
                                    confirmed_by=first, order=turn.question_order, basis=it.basis))
                            if it.field == "target_industries" and pol == "exclude" and it.spoken:
                                findings.append(Finding(
                                    field="exclusions", value=it.spoken, polarity="include", quote=qsent, call_id=call.id,
                                    call_label=call.label, call_date=call.date,
                                    timestamp=Utterance("", "", turn.question_seconds).timestamp,
                                    seconds=turn.question_seconds, speaker=turn.question_speaker, role="agency",
                                    weight=ROLE_WEIGHTS["confirmed"], confirmed_by=first, order=turn.question_order))
            answered = True
            _merge_open_bounds(turn_sents)
            for sent_items in turn_sents:
                for pol, it, sent, aud in sent_items:
                    if it.field == "exclusions":
                        if pol != "exclude":
                            continue  # a group of people said positively is not an exclusion
                        pol = "include"  # an exclusion phrase is *included* in the exclusions list
                    findings.extend(self._emit(call, u, order, sent, it, pol, aud, weight))
            prev_client = (u.speaker, turn_start, len(findings), u.text.rstrip().endswith("?"))
        return self._drop_stage_sizes(findings)

    # ------------------------------------------------------------------ helpers
    def _sentence_items(self, sent: str, *, size_ctx: bool, exclusion_ctx: bool, audience: bool):
        out = []
        for start, end, forced in _clauses(sent):
            clause = sent[start:end]
            items = self._clause_items(clause, size_ctx)
            if not items:
                continue
            base = "exclude" if (_has_neg(clause) or forced or exclusion_ctx) else "include"
            pairs = self._retraction_scope(clause, items, base) if _has_retract(clause) else [(i, base) for i in items]
            for it, ipol in self._resolve_sizes(pairs, clause, size_ctx, False):
                if it.field == "exclusions":
                    if ipol != "exclude":
                        continue
                    ipol = "include"
                out.append((it, ipol, "content" if audience else "icp"))
        return out

    def _clause_items(self, clause: str, size_ctx: bool) -> list[_Item]:
        skip: list[tuple[int, int]] = []
        for m in _SELF.finditer(clause):
            end = _SELF_END.search(clause, m.end())
            skip.append((m.start(), end.start() if end else len(clause)))
        in_skip = lambda s: any(a <= s.start < b for a, b in skip)  # noqa: E731
        items: list[_Item] = []
        titles = [t for t in L.find_titles(clause) if not in_skip(t)]
        items += [_Item("target_titles", t.value, spoken=clause[t.start:t.end], start=t.start) for t in titles]
        masked = [(t.start, t.end) for t in titles]
        inds, compounds = L.find_industries(clause, masked)
        items += [_Item("target_industries", s.value, spoken=L._singular_phrase(clause[s.start:s.end]), start=s.start)
                  for s in inds if not in_skip(s)]
        cats = L.find_categories(clause)
        for c in compounds + cats:
            if not in_skip(c):
                items.append(_Item("exclusions", c.value, basis="category", start=c.start))
        if not skip:
            for h in L.find_sizes(clause, size_context=size_ctx):
                items.append(_Item("company_sizes", "|".join(h.bands), basis=h.basis, spoken=h.phrase,
                                   direction=h.direction))
        items += [_Item("locations", s.value, start=s.start) for s in L.find_locations(clause)]
        items += [_Item("keywords", s.value, start=s.start) for s in L.find_keywords(clause)]
        return items

    @staticmethod
    def _apply_to(target: list, clause: str, retract: bool, audience: bool) -> None:
        """A clause with a cue but only a pronoun ("we don't go after them") acts on the items before it."""
        if retract:
            new = "retract"
        elif _BUYING.search(clause) and (audience or any(a == "content" for *_, a in target)):
            return  # "but they don't buy": the content audience, not an exclusion
        else:
            new = "exclude"
        target[:] = [((new if p == "include" else p), it, q, a) for p, it, q, a in target]

    @staticmethod
    def _retraction_scope(clause: str, items: list[_Item], base: str) -> list[tuple[_Item, str]]:
        """A retraction takes back the items in its own comma-separated part of the clause (or, when
        that part names none, "we're moving away from it", the items before it)."""
        segs, pos = [], 0
        for m in re.finditer(r",\s*", clause):
            segs.append((pos, m.start()))
            pos = m.end()
        segs.append((pos, len(clause)))
        cue = [(a, b) for a, b in segs if _has_retract(clause[a:b])]
        out = []
        for it in items:
            in_cue = any(a <= it.start < b for a, b in cue)
            before_empty_cue = any(it.start < a and not any(a <= j.start < b for j in items) for a, b in cue)
            out.append((it, "retract" if in_cue or before_empty_cue or it.start < 0 else base))
        return out

    def _resolve_sizes(self, pairs: list[tuple[_Item, str]], clause: str, size_ctx: bool,
                       client_size_seen: bool) -> list[tuple[_Item, str]]:
        """Open size bounds read against the sizes stated before; stage sizes marked."""
        out: list[tuple[_Item, str]] = []
        for it, pol in pairs:
            ipol = pol
            if it.field == "company_sizes" and it.basis == "bound" and it.direction == "atmost" and pol == "exclude":
                ipol = "include"  # "nobody has more than 400 FTEs": the negation is part of the bound
            elif it.field == "company_sizes" and it.basis == "bound" and pol == "include":
                if it.direction == "upto" and _EXTEND.search(clause):
                    n_band = it.value.split("|")[-1]
                    it = _Item(it.field, n_band, it.basis, it.spoken, it.direction, it.start)
                elif it.direction in ("below", "above"):
                    if client_size_seen:
                        ipol = "exclude"
                    elif not (_POSITIVE.search(clause) or size_ctx):
                        continue
            out.append((it, ipol))
        return out

    def _emit(self, call: Call, u: Utterance, order: int, sent: str, it: _Item, pol: str, aud: str,
              weight: float) -> list[Finding]:
        base: dict[str, Any] = dict(quote=sent, call_id=call.id, call_label=call.label, call_date=call.date, timestamp=u.timestamp,
                    seconds=u.seconds, speaker=u.speaker, role=u.role, weight=weight, audience=aud, order=order,
                    basis=it.basis)
        out: list[Finding] = []
        if it.field == "company_sizes":
            for band in it.value.split("|"):
                out.append(Finding(field="company_sizes", value=band, polarity=pol, **base))
            return out
        out.append(Finding(field=it.field, value=it.value, polarity=pol, **base))
        if it.field == "target_industries" and pol == "exclude" and it.spoken and aud == "icp":
            out.append(Finding(field="exclusions", value=it.spoken, polarity="include", **base))
        return out

    @staticmethod
    def _drop_stage_sizes(findings: list[Finding]) -> list[Finding]:
        explicit = any(f.field == "company_sizes" and f.polarity == "include" and f.basis in ("range", "single")
                       and f.role != "agency" for f in findings)
        if not explicit:
            return findings
        return [f for f in findings if not (f.field == "company_sizes" and f.basis == "stage")]


def _merge_open_bounds(turn_sents: list[list[tuple[str, _Item, str, str]]]) -> None:
    """An open lower bound and an upper bound said in one turn make one range ("sixty employees and
    up ... nobody has more than four hundred" -> 51-200, 201-500): the lower bound's item keeps the
    bands both allow, the upper bound's item is dropped. In place."""
    lower = upper = None
    for si, items in enumerate(turn_sents):
        for ii, (pol, it, _sent, _aud) in enumerate(items):
            if it.field != "company_sizes" or it.basis != "bound" or pol != "include":
                continue
            if it.direction == "above" and lower is None:
                lower = (si, ii)
            elif it.direction in ("upto", "atmost", "below") and lower is not None and upper is None:
                upper = (si, ii)
    if lower is None or upper is None:
        return
    lo_it = turn_sents[lower[0]][lower[1]][1]
    hi_it = turn_sents[upper[0]][upper[1]][1]
    both = [b for b in lo_it.value.split("|") if b in hi_it.value.split("|")]
    if not both:
        return
    pol, _it, sent, aud = turn_sents[lower[0]][lower[1]]
    turn_sents[lower[0]][lower[1]] = (pol, _Item(lo_it.field, "|".join(both), "range", lo_it.spoken, None, lo_it.start),
                                      sent, aud)
    del turn_sents[upper[0]][upper[1]]


def quote_in_call(quote: str, call: Call) -> bool:
    """True when ``quote`` occurs verbatim in one utterance of ``call`` (whitespace-insensitive)."""
    q = " ".join(quote.split())
    return bool(q) and any(q in " ".join(u.text.split()) for u in call.utterances)
