"""The "From discovery calls" section of the Clients & ICP page (not a page itself).

Transcripts dropped in the browser (Fathom meeting JSON, Fathom's copied text, WebVTT, SRT, plain
text) or the client's Fathom meetings (with ``FATHOM_API_KEY``) are read and stored for the
client; the proposal from every stored call is shown as a diff against the current ICP (added,
removed, unchanged, each with its quotes) with accept / reject per change; saving makes a new ICP
version whose change note names the calls. Everything goes through ``engine.calls``
(:class:`icp_engine.CallService`). Text from transcripts and users is shown as text, never as
Markdown (:func:`plain`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from icp_engine import CALL_FIELD_LABELS, CallReview, CallStatus, Engine, ExternalServiceError, InvalidInput
from pages import _ui

TRANSCRIPT_TYPES = ["json", "txt", "vtt", "srt", "md", "text"]
SOURCE_WORDS = {"fathom-json": "Fathom", "fathom-text": "Fathom (copied text)", "vtt": "WebVTT", "srt": "SubRip (SRT)",
                "text": "Text"}
ROLE_WORDS = {"client": " (client)", "agency": " (your side)", "unknown": ""}
ACCEPT, REJECT = "Accept", "Reject"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=^&])")


def plain(text: Any) -> str:
    """``text`` made safe to put into Markdown (labels, captions): shown as typed, with no links,
    images, emphasis, colours, icons or maths from a transcript or a user. Markdown punctuation is
    backslash-escaped; a zero-width space after ``:`` and ``@`` and inside ``www.`` stops Streamlit's
    ``:icon:``/``:color[...]`` directives and GitHub's bare-URL and e-mail autolinks. Longer text
    (quotes) is shown with ``st.text`` instead."""
    out = _MD_SPECIAL.sub(r"\\\1", str(text if text is not None else ""))
    out = out.replace(":", ":\u200b").replace("@", "@\u200b")
    out = re.sub(r"(?i)\bwww\\\.", "www\u200b\\.", out)
    return out.replace("\n", "  \n")


def _k(cid: int, name: str) -> str:
    return f"calls_{name}_{cid}"


def _round(cid: int) -> int:
    return int(st.session_state.get(_k(cid, "round"), 0))


def _done(cid: int, message: str, kind: str = "success") -> None:
    """After an import or a save: message on the next run, a fresh uploader, the whole page rerun."""
    _ui.flash(plain(message), kind)
    st.session_state[_k(cid, "round")] = _round(cid) + 1
    st.session_state.pop(_k(cid, "previews"), None)
    st.rerun()


def _progress() -> Callable[[int, int, str], None]:
    bar = st.progress(0.0, text="Reading…")

    def report(done: int, total: int, label: str) -> None:
        bar.progress(done / max(1, total), text=f"{done} of {total} · {label}" if label else f"{done} of {total}")

    return report


def _quote_lines(evidence: list[dict[str, Any]], *, limit: int = 6) -> None:
    for e in evidence[:limit]:
        who = e.get("speaker") or "someone"
        side = ROLE_WORDS.get(e.get("role") or "unknown", "")
        where = " · ".join(x for x in (e.get("call"), e.get("timestamp")) if x)
        st.text(f"“{e.get('quote', '')}”")
        st.caption(f"{plain(who)}{side} · {plain(where)}"
                   + (f" · confirming: “{plain(e['confirmed_by'])}”" if e.get("confirmed_by") else ""))
    if len(evidence) > limit:
        st.caption(f"…and {len(evidence) - limit} more")


# ---------------------------------------------------------------------------------- inputs

def _domains(eng: Engine, client: dict[str, Any]) -> None:
    cid = client["id"]
    key = _k(cid, "domains")
    if key not in st.session_state:
        st.session_state[key] = ", ".join(client.get("email_domains") or [])

    def suggest() -> None:
        try:
            found = eng.calls.suggest_domains(cid)
        except (InvalidInput, ExternalServiceError) as exc:
            st.session_state[_k(cid, "domains_msg")] = ("error", f"Fathom: {exc}")
            return
        if found:
            st.session_state[key] = ", ".join(found)
            st.session_state[_k(cid, "domains_msg")] = ("info", "Suggested from Fathom invitees; check and save.")
        else:
            st.session_state[_k(cid, "domains_msg")] = ("warning", "No Fathom invitee's domain looks like the client's name.")

    c1, c2, c3 = st.columns([4, 1, 1], vertical_alignment="bottom")
    c1.text_input("Client's e-mail domains", key=key, placeholder="e.g. acme.com, acme.co.uk",
                  help="Tells the client's people apart from yours on the calls, and finds the client's "
                       "meetings in Fathom by the invitees' e-mail addresses.")
    save = c2.button("Save domains", key=_k(cid, "domains_save"))
    if eng.calls.fathom_available():
        c3.button("Suggest from Fathom", key=_k(cid, "domains_suggest"), on_click=suggest)
    msg = st.session_state.pop(_k(cid, "domains_msg"), None)
    if msg:
        getattr(st, msg[0])(plain(msg[1]))
    if save:
        try:
            domains = eng.calls.set_email_domains(cid, st.session_state[key])
        except InvalidInput as exc:
            st.error(plain(exc))
            return
        offline = [c["id"] for c in eng.calls.list_calls(cid)
                   if c["status"] != CallStatus.IGNORED and c["extractor"] == "offline"]
        note = ""
        if offline:
            rep = eng.calls.reread(cid, call_ids=offline)
            note = f" Read {len(rep.read)} call{'s' if len(rep.read) != 1 else ''} again with them."
        st.session_state.pop(key, None)
        _done(cid, f"E-mail domains saved: {', '.join(domains) or 'none'}.{note}")


def _extractor_choice(eng: Engine, cid: int) -> str | None:
    if not eng.settings.openai_api_key:
        return "offline"
    pick = st.radio("Read the calls with", ["OpenAI", "Offline rules"], horizontal=True, key=_k(cid, "extractor"),
                    help="OpenAI reads more freely and quotes every item; the offline rules need no key and cost nothing.")
    return "openai" if pick == "OpenAI" else "offline"


def _upload(eng: Engine, client: dict[str, Any], extractor: str | None) -> None:
    cid = client["id"]
    files = st.file_uploader(
        "Drop transcripts: Fathom meeting JSON, text copied from Fathom, WebVTT (.vtt), SubRip (.srt) or plain text",
        type=TRANSCRIPT_TYPES, accept_multiple_files=True, key=f"{_k(cid, 'files')}_{_round(cid)}")
    if not files:
        st.caption("In Fathom, open a call, choose *Copy transcript* and save it as a .txt file, or download "
                   "the meeting's JSON from the API.")
        return
    inputs = [(f.name, f.getvalue()) for f in files]
    cache = st.session_state.setdefault(_k(cid, "previews"), {})
    sig = hashlib.sha256(b"".join(hashlib.sha256(d).digest() + n.encode() for n, d in inputs)).hexdigest()
    if sig not in cache:
        cache.clear()
        cache[sig] = eng.calls.preview_files(cid, inputs)
    previews = cache[sig]
    for p in previews:
        if p.call is None:
            st.error(f"{plain(p.filename)}: {plain(p.error)} Nothing from this file will be read.")
    rows = [p.summary() for p in previews if p.call is not None]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
            "file": "File", "call": "Call", "date": "Date", "speakers": "Speakers", "turns": "Turns",
            "status": "Status"})
    todo = [p.call for p in previews if p.ok and p.call is not None]
    if st.button(f"Read {len(todo)} call{'s' if len(todo) != 1 else ''}", type="primary", disabled=not todo,
                 key=_k(cid, "read")):
        try:
            report = eng.calls.import_calls(cid, todo, author=_ui.author(), extractor=extractor,
                                            on_progress=_progress())
        except InvalidInput as exc:
            st.error(plain(exc))
            return
        _done(cid, report.message(), "warning" if report.failed else "success")


def _fathom(eng: Engine, client: dict[str, Any], extractor: str | None) -> None:
    cid = client["id"]
    if not eng.calls.fathom_available():
        st.caption("Add FATHOM_API_KEY (Fathom → Settings → API Access) to pick this client's meetings from Fathom.")
        return
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    since = c1.date_input("Meetings since (optional)", value=None, key=_k(cid, "since"), format="YYYY-MM-DD",
                          help="Empty: every meeting of the client in Fathom.")
    if c2.button("Find meetings", key=_k(cid, "find")):
        try:
            with st.spinner("Asking Fathom…"):
                st.session_state[_k(cid, "meetings")] = eng.calls.fathom_meetings(cid, since=since)
        except (InvalidInput, ExternalServiceError) as exc:
            st.session_state.pop(_k(cid, "meetings"), None)
            st.error(plain(exc))
            return
    meetings = st.session_state.get(_k(cid, "meetings"))
    if meetings is None:
        st.caption("Meetings with an invitee on the client's e-mail domains are listed; pick the ones to read.")
        return
    if not meetings:
        st.info("No Fathom meeting" + (" since then" if since else "") + " has an invitee on the client's e-mail domains.")
        return
    st.dataframe(pd.DataFrame([m.row() for m in meetings]).drop(columns=["recording_id"]), hide_index=True,
                 width="stretch", column_config={"date": "Date", "meeting": "Meeting", "client_people": "Client's people",
                                                 "minutes": "Minutes", "already_read": "Already read"})
    by_id = {m.summary.recording_id: m for m in meetings}
    new_ids = [m.summary.recording_id for m in meetings if not m.already]
    picked = st.multiselect(
        "Meetings to read", list(by_id), default=new_ids, key=f"{_k(cid, 'pick')}_{_round(cid)}",
        format_func=lambda rid: f"{by_id[rid].summary.date or ''} · {by_id[rid].summary.title}"
                                + (" (already read)" if by_id[rid].already else ""))
    if st.button(f"Read {len(picked)} meeting{'s' if len(picked) != 1 else ''}", type="primary", disabled=not picked,
                 key=_k(cid, "import")):
        try:
            report = eng.calls.import_fathom_meetings(cid, [by_id[r].meeting for r in picked], author=_ui.author(),
                                                      extractor=extractor, on_progress=_progress())
        except (InvalidInput, ExternalServiceError) as exc:
            st.error(plain(exc))
            return
        st.session_state.pop(_k(cid, "meetings"), None)
        _done(cid, report.message(), "warning" if report.failed or report.skipped else "success")


def _calls_table(eng: Engine, client: dict[str, Any], review: CallReview) -> None:
    cid = client["id"]
    calls = review.calls
    if not calls:
        return
    versions = {h["id"]: h["version"] for h in eng.icp_history(cid)}

    def status(c: dict[str, Any]) -> str:
        if c["status"] == CallStatus.FAILED:
            return f"Could not be read: {c['error']}"
        if c["status"] == CallStatus.IGNORED:
            return "Left out"
        return "Used"

    rows = [{"date": c["call_date"].isoformat() if c["call_date"] else "", "call": c["title"], "source": SOURCE_WORDS.get(c["source"], c["source"]),
             "turns": c["turns"], "items": c["findings_count"], "status": status(c),
             "reviewed": (f"version {versions[c['applied_icp_version_id']]}" if c["applied_icp_version_id"] in versions
                          else "not yet"),
             "read_with": "OpenAI" if str(c["extractor"]).startswith("openai") else "offline rules",
             "imported_by": c["imported_by"]} for c in calls]
    with st.expander(f"Calls read for this client ({len(calls)})", expanded=False):
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
            "date": "Date", "call": "Call", "source": "From", "turns": "Turns", "items": "Statements found",
            "status": "Status", "reviewed": "Reviewed in", "read_with": "Read with", "imported_by": "Imported by"})
        labels = {c["id"]: c["label"] for c in calls}
        left_out = [c["id"] for c in calls if c["status"] == CallStatus.IGNORED]
        key = f"{_k(cid, 'left_out')}_{_round(cid)}"

        def changed() -> None:
            want = set(st.session_state.get(key) or [])
            for c in calls:
                if c["id"] in want and c["status"] != CallStatus.IGNORED:
                    eng.calls.leave_out(cid, c["id"])
                elif c["id"] not in want and c["status"] == CallStatus.IGNORED:
                    eng.calls.put_back(cid, c["id"])

        st.multiselect("Leave out of the proposal", list(labels), default=left_out, key=key, on_change=changed,
                       format_func=lambda i: labels[i], placeholder="All calls are used",
                       help="A call left out is kept and can be put back at any time.")
        failed = [c["id"] for c in calls if c["status"] == CallStatus.FAILED]
        b1, b2 = st.columns(2)
        if failed and b1.button(f"Try the {len(failed)} unread call{'s' if len(failed) != 1 else ''} again",
                                key=_k(cid, "retry")):
            _done(cid, eng.calls.reread(cid, call_ids=failed, on_progress=_progress()).message())
        if b2.button("Read every call again", key=_k(cid, "reread"),
                     help="With the current e-mail domains; calls read with OpenAI are sent to OpenAI again."):
            _done(cid, eng.calls.reread(cid, on_progress=_progress()).message())


# ---------------------------------------------------------------------------------- review

def _decision_key(cid: int, review: CallReview, change_id: str) -> str:
    sig = hashlib.sha1("|".join([str(review.icp_version_id), *[c["call_key"] for c in review.used_calls]])
                       .encode()).hexdigest()[:10]
    return f"calls_decide_{cid}_{sig}_{change_id}"


def _item_list(title: str, items: list[Any], *, explain: str, icon: str) -> None:
    if not items:
        return
    with st.expander(f"{title} ({len(items)})", icon=icon):
        st.caption(explain)
        for it in items:
            st.markdown(f"**{plain(it.value)}** · {plain(it.field_label)}")
            if it.status == "retracted" or it.retracted_by:
                _quote_lines(it.evidence, limit=2)
                st.caption("Taken back:")
                _quote_lines(it.retracted_by, limit=3)
            elif it.against and it.evidence:
                st.caption("For:")
                _quote_lines(it.evidence, limit=3)
                st.caption("Against:")
                _quote_lines(it.against, limit=3)
            else:
                _quote_lines(it.evidence or it.against, limit=3)


def _review(eng: Engine, client: dict[str, Any], review: CallReview, on_saved: Callable[[dict[str, Any]], None],
            editor_dirty: bool) -> None:
    cid = client["id"]
    used = review.used_calls
    if not used:
        st.info("Upload a transcript or pick Fathom meetings: what the client said becomes proposed ICP changes here.")
        return
    ver = review.icp_version
    target = f"ICP version {ver['version']}" if ver else "a first ICP"
    st.markdown(f"**Proposed changes to {target}** from {len(used)} call{'s' if len(used) != 1 else ''}")
    if review.new_calls:
        st.caption("Not reviewed yet: " + plain("; ".join(review.new_calls)))

    todo_ids = [c.id for c in review.diff.changes if c.kind != "unchanged"]

    def decide_all(choice: str) -> None:
        for change_id in todo_ids:
            st.session_state[_decision_key(cid, review, change_id)] = choice

    if len(todo_ids) > 1:
        a, r, _ = st.columns([1, 1, 5])
        a.button("Accept all", key=_k(cid, "accept_all"), on_click=decide_all, args=(ACCEPT,), width="stretch")
        r.button("Reject all", key=_k(cid, "reject_all"), on_click=decide_all, args=(REJECT,), width="stretch")
    decisions: dict[str, str] = {}
    n_changes = 0
    for _field, label, changes in review.changes_by_field():
        todo = [c for c in changes if c.kind != "unchanged"]
        same = [c for c in changes if c.kind == "unchanged"]
        st.markdown(f"###### {label.capitalize()}")
        for ch in todo:
            n_changes += 1
            with st.container(border=True):
                head, control = st.columns([5, 2], vertical_alignment="center")
                sign, word = ("+", "Add") if ch.kind == "added" else ("−", "Remove")
                head.markdown(f"**{sign} {plain(ch.value)}**  \n"
                              f":{'green' if ch.kind == 'added' else 'red'}-badge[{word}] {plain(ch.reason)}")
                key = _decision_key(cid, review, ch.id)
                start = None if key in st.session_state else (ACCEPT if ch.default else REJECT)  # set by "… all"
                decisions[ch.id] = control.segmented_control(
                    f"{word} {plain(ch.value)}", [ACCEPT, REJECT], default=start, key=key,
                    label_visibility="collapsed", required=True) or REJECT
                _quote_lines(ch.evidence[:1])
                if len(ch.evidence) > 1:
                    with st.expander(f"{len(ch.evidence) - 1} more quote{'s' if len(ch.evidence) > 2 else ''}"):
                        _quote_lines(ch.evidence[1:])
        if same:
            quoted = [c for c in same if c.evidence]
            st.caption("Unchanged: " + plain(", ".join(c.value for c in same)))
            if quoted:
                with st.expander(f"Quotes for unchanged {label} ({len(quoted)})"):
                    for c in quoted:
                        st.markdown(f"**{plain(c.value)}**")
                        _quote_lines(c.evidence, limit=3)

    _item_list("The client said both", review.conflicts, icon=":material/warning:",
               explain="Asked for on one call and ruled out on another; the later statement counts.")
    _item_list("Taken back on the calls", review.retracted, icon=":material/undo:",
               explain="Said, then taken back later; not proposed.")
    _item_list("Ruled out by the client", review.ruled_out, icon=":material/block:",
               explain="Named as not a fit; listed under exclusions where the client said so.")
    _item_list("Only your side said it", review.unconfirmed, icon=":material/help:",
               explain="Asked or suggested by your team without the client confirming it; not proposed.")
    _item_list("Readers of the content, not buyers", review.audience, icon=":material/groups:",
               explain="People the client wants reading the posts who do not buy; not part of the ICP.")

    accepted = [cid_ for cid_, d in decisions.items() if d == ACCEPT]
    if n_changes == 0:
        st.caption(f"The calls propose nothing that {target} does not already have.")
        return
    if editor_dirty:
        st.warning("The ICP above has unsaved edits; saving these changes starts from the saved version and "
                   "replaces the unsaved edits.")
    n = len(accepted)
    next_v = (ver["version"] + 1) if ver else 1
    label = (f"Save {n} change{'s' if n != 1 else ''} as ICP version {next_v}" if n
             else "Reject all and mark the calls as reviewed")

    def save() -> None:
        try:
            res = eng.calls.accept(cid, accepted, author=_ui.author(), icp_version_id=review.icp_version_id)
        except InvalidInput as exc:
            st.session_state[_k(cid, "save_error")] = str(exc)
            return
        if res.created and res.version is not None:
            on_saved(res.version["icp"])
            msg = ("success", f"Saved ICP version {res.version['version']} by {plain(res.version['created_by'])}. "
                   + plain(res.note))
        else:
            msg = ("info", "Nothing changed; the calls are marked as reviewed.")
        st.session_state[_k(cid, "saved")] = msg  # shown by the page run that follows (see discovery_calls)

    st.button(label, type="primary" if n else "secondary", key=_k(cid, "save"), on_click=save)
    err = st.session_state.pop(_k(cid, "save_error"), None)
    if err:
        st.error(plain(err))


# ---------------------------------------------------------------------------------- section

@st.fragment
def discovery_calls(eng: Engine, client: dict[str, Any], on_saved: Callable[[dict[str, Any]], None],
                    editor_dirty: bool = False) -> None:
    """Render the section for ``client``. ``on_saved(icp_dict)`` is called (inside a button
    callback, before the page reruns) after a new ICP version was saved from the calls, so the
    page can load it into its editor."""
    cid = client["id"]
    saved = st.session_state.pop(_k(cid, "saved"), None)
    if saved:  # the whole page again: editor, history and this section show the new version
        _ui.flash(saved[1], saved[0])
        st.rerun()
    st.subheader("From discovery calls")
    st.caption("What the client said on discovery calls, as changes to the ICP with the quotes behind them. "
               "Nothing changes in the ICP until you save.")
    _domains(eng, client)
    extractor = _extractor_choice(eng, cid)
    files_tab, fathom_tab = st.tabs(["Upload transcripts", "Pick Fathom meetings"])
    with files_tab:
        _upload(eng, client, extractor)
    with fathom_tab:
        _fathom(eng, client, extractor)
    try:
        review = eng.calls.review(cid)
    except InvalidInput as exc:
        st.error(plain(exc))
        return
    _calls_table(eng, client, review)
    _review(eng, client, review, on_saved, editor_dirty)


__all__ = ["discovery_calls", "plain", "CALL_FIELD_LABELS"]
