"""Clients & ICP: create a client, edit its ICP (saved as versions), turn discovery calls into ICP
changes, preview scores live."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from icp_engine import (
    EXCLUSION_SUGGESTIONS,
    ICP,
    ICP_FIELDS,
    ICP_TEMPLATES,
    KEYWORD_SUGGESTIONS,
    TITLE_SUGGESTIONS,
    Engine,
    InvalidInput,
    Permission,
    company_type_choices,
    function_choices,
    history_with_changes,
    implied_roles,
    industry_choices,
    seniority_choices,
    size_choices,
)
from pages import _calls, _ui


def _key(cid: int, field: str) -> str:
    return f"icp_{field}_{cid}"


def note_key(cid: int) -> str:
    """Widget key of the change note; a new key after each save, so the box is empty again."""
    return f"icp_note_{cid}_{st.session_state.get(f'icp_note_round_{cid}', 0)}"


def _clear_note(cid: int) -> None:
    st.session_state.pop(note_key(cid), None)
    st.session_state[f"icp_note_round_{cid}"] = st.session_state.get(f"icp_note_round_{cid}", 0) + 1


def _load_into_state(cid: int, icp: dict[str, Any], *, force: bool = False) -> None:
    for f in ICP_FIELDS:
        k = _key(cid, f)
        if force or k not in st.session_state:
            v = icp.get(f)
            st.session_state[k] = (v or "") if f in ("name", "notes") else list(v or [])
    _load_role_picks(cid, icp, force=force)


#: The ICP's job function and seniority pickers (LinkedIn Sales Navigator's terms).
ROLE_FIELDS: tuple[str, ...] = ("functions", "seniorities")


def _custom_key(cid: int, field: str) -> str:
    return f"icp_{field}_custom_{cid}"


def _load_role_picks(cid: int, icp: dict[str, Any], *, force: bool = False) -> None:
    """Picks of a loaded ICP: its own ``functions`` / ``seniorities`` (then they are the user's
    choice) or none (then :func:`role_pickers` shows what the titles imply)."""
    for f in ROLE_FIELDS:
        if force or _custom_key(cid, f) not in st.session_state:
            picked = list(icp.get(f) or [])
            st.session_state[_custom_key(cid, f)] = bool(picked)
            if picked:
                st.session_state[_key(cid, f)] = picked
            else:
                st.session_state.pop(_key(cid, f), None)


def _mark_custom(cid: int, field: str) -> None:
    st.session_state[_custom_key(cid, field)] = True


def _use_implied(cid: int) -> None:
    for f in ROLE_FIELDS:
        st.session_state[_custom_key(cid, f)] = False


def role_pickers(cid: int, titles: Sequence[str]) -> tuple[list[str], list[str]]:
    """Job function and seniority pickers beside the free titles: ``(functions, seniorities)``
    to save in the ICP. Until the user changes them they show what the titles imply (and follow
    the titles) and nothing is saved, so the scorer keeps reading the titles; a change makes
    them the ICP's own criteria."""
    implied = dict(zip(ROLE_FIELDS, implied_roles(list(titles))))
    for f in ROLE_FIELDS:
        if not st.session_state.get(_custom_key(cid, f)):
            st.session_state[_key(cid, f)] = implied[f]
    choices = {"functions": function_choices(), "seniorities": seniority_choices()}
    labels = {"functions": "Job functions", "seniorities": "Seniority levels"}
    helps = {"functions": "LinkedIn Sales Navigator's job functions. Filled in from the target titles; "
                          "change them to target a function whatever the title says.",
             "seniorities": "LinkedIn Sales Navigator's seniority levels. Filled in from the target titles; "
                            "change them to target these levels only."}
    for f in ROLE_FIELDS:
        current = list(st.session_state.get(_key(cid, f)) or [])
        st.multiselect(labels[f], list(dict.fromkeys([*choices[f], *current])), key=_key(cid, f),
                        on_change=_mark_custom, args=(cid, f), help=helps[f], placeholder="Pick…")
    custom = [f for f in ROLE_FIELDS if st.session_state.get(_custom_key(cid, f))]
    if custom:
        c1, c2 = st.columns([3, 1])
        c1.caption("Picked by you: leads are also scored on their job function and seniority level.")
        c2.button("Use what the titles imply", key=f"icp_roles_reset_{cid}", on_click=_use_implied, args=(cid,))
    elif any(implied.values()):
        st.caption("Filled in from the target titles (an adjacent role of the same function scores "
                   "\"possible\"). Change them to make function and seniority criteria of their own.")
    picked = [list(st.session_state.get(_key(cid, f)) or []) if f in custom else [] for f in ROLE_FIELDS]
    return picked[0], picked[1]


def _apply_template(cid: int) -> None:
    name = st.session_state.get(f"icp_template_{cid}")
    if name in ICP_TEMPLATES:
        _load_into_state(cid, ICP_TEMPLATES[name], force=True)
        st.session_state[note_key(cid)] = f"from template: {name}"


def _restore_version(cid: int, history: list[dict[str, Any]]) -> None:
    ver = st.session_state.get(f"icp_restore_{cid}")
    for row in history:
        if row["version"] == ver:
            _load_into_state(cid, row["icp"], force=True)
            st.session_state[note_key(cid)] = f"restored version {ver}"


def _chips(label: str, cid: int, field: str, suggestions: Sequence[str], *, new: bool = True,
           help: str | None = None) -> list[str]:
    k = _key(cid, field)
    current = list(st.session_state.get(k) or [])
    options = list(dict.fromkeys([*suggestions, *current]))
    # Enter adds one chip: the best match (an exact one first), never "Select N matches"; the
    # chips wrap onto more rows so every pick stays visible
    return st.multiselect(label, options, key=k, accept_new_options=new, help=help, placeholder="Type or pick…",
                          select_all=False, wrap=True)


def create_client_form(eng: Engine) -> None:
    with st.form("new_client", clear_on_submit=True):
        st.markdown("**New client**")
        name = st.text_input("Client name", placeholder="e.g. Acme Analytics")
        notes = st.text_input("Notes (optional)")
        if st.form_submit_button("Create client", type="primary"):
            try:
                row = eng.create_client(name.strip(), notes, author=_ui.actor())
            except InvalidInput as exc:
                st.error(_ui.md(exc))
            else:
                _ui.select_client(row["id"])
                _ui.flash(f"Client **{_ui.md(row['name'])}** created. Now set its ICP below.")
                st.rerun()


def clients_table(eng: Engine) -> None:
    clients = eng.list_clients()
    if not clients:
        st.caption("No clients yet.")
        return
    df = pd.DataFrame([{"Client": c["name"], "Leads": c["leads"],
                        "ICP version": f"v{c['icp_version']}" if c["icp_version"] else "–",
                        "Created": _ui.when(c["created_at"]), "Notes": c["notes"]} for c in clients])
    st.dataframe(df, hide_index=True, width="stretch")


def icp_editor(eng: Engine, client: dict[str, Any]) -> ICP:
    cid = client["id"]
    current = eng.current_icp(cid)
    history = eng.icp_history(cid)
    _load_into_state(cid, current[1].model_dump() if current else {})

    cols = st.columns([3, 1, 3, 1])
    cols[0].selectbox("Start from a template", list(ICP_TEMPLATES), key=f"icp_template_{cid}", index=None,
                      placeholder="Pick a template…")
    cols[1].button("Apply", on_click=_apply_template, args=(cid,), key=f"icp_apply_{cid}",
                   disabled=not st.session_state.get(f"icp_template_{cid}"))
    if history:
        cols[2].selectbox("Load an earlier version", [h["version"] for h in history], key=f"icp_restore_{cid}",
                          format_func=lambda v: f"version {v}", index=None, placeholder="Pick a version…")
        cols[3].button("Load", on_click=_restore_version, args=(cid, history), key=f"icp_load_{cid}",
                       disabled=st.session_state.get(f"icp_restore_{cid}") is None)

    st.text_input("ICP name", key=_key(cid, "name"), placeholder="e.g. Finance leaders at B2B SaaS")
    c1, c2 = st.columns(2)
    with c1:
        titles = _chips("Target titles", cid, "target_titles", TITLE_SUGGESTIONS,
                        help="Job titles to reach. Pick suggestions or type your own and press Enter.")
        functions, seniorities = role_pickers(cid, titles)
        _chips("Industries (LinkedIn V2 taxonomy)", cid, "target_industries", industry_choices(),
               new=True, help="Type to search the LinkedIn industry list; a parent group covers its children.")
        _chips("Company sizes (employees)", cid, "company_sizes", size_choices(), new=False)
    with c2:
        _chips("Keywords", cid, "keywords", KEYWORD_SUGGESTIONS,
               help="Words that should appear in the headline, summary or skills.")
        _chips("Exclusions", cid, "exclusions", EXCLUSION_SUGGESTIONS,
               help="Students, recruiters, competitors' names…: leads matching them go to the bottom.")
        _chips("Locations (optional)", cid, "locations", [], help="Empty means location is not a criterion.")
        _chips("Company types (optional)", cid, "company_types", company_type_choices(), new=False,
               help="Startup, scale-up, agency…, as classified from size, industry and profile text.")
    st.text_area("Notes", key=_key(cid, "notes"), height=80,
                 placeholder="Anything else that describes the ideal customer.")

    icp = ICP.model_validate({**{f: st.session_state.get(_key(cid, f)) for f in ICP_FIELDS},
                              "functions": functions, "seniorities": seniorities})
    saved = current[1] if current else None
    dirty = saved is None or saved.model_dump() != icp.model_dump()

    s1, s2 = st.columns([3, 1])
    note = s1.text_input("Change note", key=note_key(cid), placeholder="What changed and why")
    s2.write("")
    if s2.button("Save new version", type="primary", key=f"icp_save_{cid}", disabled=not dirty or icp.is_empty()):
        row = eng.save_icp(cid, icp, author=_ui.actor(), note=note.strip())
        msg = f"Saved ICP version {row['version']} by {_ui.md(row['created_by'])}."
        if row["version"] > 1 and eng.views.client_overview(cid)["leads"]:
            msg += " Its scores come with the next run: Review and Export show the latest scored version until then."
        _ui.flash(msg)
        _clear_note(cid)
        st.rerun()
    if icp.is_empty():
        st.caption("Set at least one criterion (titles, industries, sizes, keywords or locations) to save.")
    elif not dirty:
        st.caption(f"Saved as version {current[0]['version']}." if current else "")
    else:
        st.caption("Unsaved changes.")
    return icp


def calls_section(eng: Engine, client: dict[str, Any], icp: ICP) -> None:
    """"From discovery calls" (pages/_calls.py); a version saved there is loaded into the editor."""
    cid = client["id"]
    current = eng.current_icp(cid)
    dirty = (not icp.is_empty()) if current is None else current[1].model_dump() != icp.model_dump()

    def load_saved(saved: dict[str, Any]) -> None:
        _load_into_state(cid, saved, force=True)
        _clear_note(cid)

    _calls.discovery_calls(eng, client, load_saved, dirty)


def live_preview(eng: Engine, client: dict[str, Any], icp: ICP) -> None:
    st.subheader("Live preview")
    cid = client["id"]
    seed = st.session_state.get(f"preview_seed_{cid}", 0)
    try:
        rows = eng.preview_icp(cid, icp, 5, seed=seed)
    except Exception as exc:  # noqa: BLE001 - a preview must never break the editor
        st.warning(f"Preview unavailable: {_ui.md(exc)}")
        return
    if not rows:
        st.caption("Upload followers to see how five of them would score with this ICP.")
        return
    if icp.is_empty():
        st.caption("Set a criterion to see scores.")
        return
    df = pd.DataFrame(rows)
    df["bucket"] = df["bucket"].map(lambda b: str(b).capitalize() if b else "")
    st.dataframe(
        df, hide_index=True, width="stretch",
        column_config={"name": "Name", "headline": "Headline",
                       "score": st.column_config.ProgressColumn("Score", min_value=0, max_value=100, format="%.0f"),
                       "bucket": "Bucket", "why": "Why this score"},
    )
    if st.button("Other samples", icon=":material/shuffle:", key=f"preview_shuffle_{cid}"):
        st.session_state[f"preview_seed_{cid}"] = seed + 1
        st.rerun()


def version_history(eng: Engine, client: dict[str, Any]) -> None:
    history = eng.icp_history(client["id"])
    st.subheader("Version history")
    if not history:
        st.caption("No ICP saved yet.")
        return
    rows = [{"Version": f"v{h['version']}", "Saved": _ui.when(h["when"]), "By": h["who"], "Note": h["note"],
             "Changes": h["changes"]} for h in history_with_changes(history)]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def main() -> None:
    _ui.require(Permission.MANAGE_CLIENTS)
    eng: Engine = _ui.engine()
    st.title("Clients & ICP")
    _ui.show_flash()
    left, right = st.columns([1, 2])
    with left:
        create_client_form(eng)
    with right:
        st.markdown("**Clients**")
        clients_table(eng)
    cid = _ui.current_client_id()
    if cid is None:
        st.info("Create a client to start.")
        return
    client = _ui.require_client(eng)
    st.header(f"ICP of {_ui.md(client['name'])}")
    ov = eng.views.client_overview(cid)
    m = st.columns(5)
    m[0].metric("Leads", f"{ov['leads']:,}")
    m[1].metric("Uploads", ov["batches"])
    m[2].metric("Scored (current ICP)", f"{ov['scored']:,}")
    m[3].metric("Reviewed", sum(v for k, v in ov["labels"].items() if k != "skip"))
    m[4].metric("Active runs", ov["runs_active"])
    icp = icp_editor(eng, client)
    calls_section(eng, client, icp)
    live_preview(eng, client, icp)
    version_history(eng, client)


main()
