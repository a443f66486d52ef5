"""Upload: saved follower pages, Connections.csv or URL lists -> preview -> store as a batch."""

from __future__ import annotations

import hashlib
from datetime import datetime, UTC
from typing import Any

import pandas as pd
import streamlit as st

from icp_engine import (
    Engine,
    InvalidInput,
    Permission,
    PermissionDenied,
    RunConflict,
    UploadPreview,
    default_batch_name,
    merge_previews,
)
from pages import _ui

ACCEPTED = ["html", "htm", "csv", "txt", "zip"]
PREVIEW_ROWS = 500
STORED_KEY = "_upload_stored"  # {"client": id, "batch": name}: show "Next: Run" after a store


def _uploader_key() -> str:
    return f"upload_files_{st.session_state.get('_upload_round', 0)}"


def _inputs() -> list[tuple[str, bytes]]:
    """The uploaded files plus the pasted URLs (as a ``pasted-urls.txt`` file)."""
    files = st.file_uploader(
        "Drop saved LinkedIn pages (.html), Connections.csv, URL lists (.txt/.csv) or a .zip of them",
        type=ACCEPTED,
        accept_multiple_files=True,
        key=_uploader_key(),
    )
    pasted = st.text_area(
        "…or paste profile URLs (one per line)",
        key=f"upload_urls_{st.session_state.get('_upload_round', 0)}",
        height=100,
        placeholder="https://www.linkedin.com/in/some-person/",
    )
    out = [(f.name, f.getvalue()) for f in files or []]
    if pasted.strip():
        out.append(("pasted-urls.txt", pasted.encode("utf-8")))
    return out


def _preview(eng: Engine, cid: int, name: str, data: bytes) -> UploadPreview | str:
    """The file's preview, or the error sentence for the user. Parsed once per (client, file
    content) and kept in the session (parsing big pages takes seconds)."""
    cache = st.session_state.setdefault("_upload_previews", {})
    key = (cid, name, hashlib.sha256(data).hexdigest())
    if key not in cache:
        try:
            cache[key] = eng.preview_upload(cid, name, data)
        except InvalidInput as exc:  # UploadError: a sentence meant for the user
            cache[key] = str(exc)
        while len(cache) > 20:
            cache.pop(next(iter(cache)))
    result: UploadPreview | str = cache[key]
    return result


def _without_name(text: str, name: str) -> str:
    """A parser's sentence without the file name when the message block already shows it."""
    for quoted in (f"The file '{name}' ", f"'{name}' "):
        if text.startswith(quoted):
            rest = text[len(quoted):]
            return "This file " + rest if quoted.startswith("The file") else "It " + rest
    return text.replace(f" in '{name}'", " in this file").replace(f"'{name}'", "this file")


def file_message(p: UploadPreview | str, name: str) -> None:
    """One message per file: what was found, the follower-count check and the parser's warnings
    (or why nothing from it will be stored)."""
    if isinstance(p, str):
        st.error(f"**{_ui.md(name)}** — nothing from this file will be stored. {_ui.md(_without_name(p, name))}",
                 icon=":material/block:")
        return
    stats: dict[str, Any] = p.parsed.stats or {}
    found = len(p.parsed.people)
    lines = [f"**{_ui.md(name)}** · {_ui.source_kind(p.parsed.kind)}: **{found:,}** people, {p.new:,} new, "
             f"{p.known:,} already leads of this client."]
    declared, of = stats.get("declared_total"), stats.get("declared_total_of") or "people"
    short = bool(declared) and found < 0.95 * int(declared)
    if declared:
        lines.append(f"The page header says **{int(declared):,} {_ui.md(of)}**; {found:,} are in this file.")
    notes = [w for w in p.parsed.warnings if not (short and w.startswith("The page says"))]
    if short:
        notes.insert(0, "LinkedIn only loads the people you scroll past: scroll to the end of the list, wait "
                        "until no more people load, then save the page again.")
    # what the preview adds (no profile URL, skipped entries, linked by name); the header's total is said above
    infos = [n for n in p.notices() if not n.startswith("The page header says")]
    body = "  \n".join(lines) + "".join(f"\n- {_ui.md(_without_name(w, name))}" for w in [*notes, *infos])
    if short or notes:
        st.warning(body, icon=":material/warning:")
    elif infos:
        st.info(body, icon=":material/info:")
    else:
        st.success(body, icon=":material/check_circle:")


def earlier_uploads(eng: Engine, client: dict[str, Any], batches: list[dict[str, Any]]) -> None:
    """The client's earlier uploads, and deleting one (confirmed by typing its name)."""
    cid = client["id"]
    with st.expander(f"Earlier uploads of this client ({len(batches)})"):
        st.dataframe(
            pd.DataFrame([{"Batch": b["name"], "Source": _ui.source_kind(b["source_kind"]),
                           "People in file": b["people_in_file"], "New leads": b["new_leads"],
                           "Already leads": b["known_leads"], "Uploaded": _ui.when(b["created_at"])}
                          for b in batches]),
            hide_index=True, width="stretch",
        )
        user = _ui.current_user()
        if user is not None and not user.can(Permission.DELETE_DATA):
            return  # deleting is for admins (as deleting a client or erasing a person)
        st.markdown("**Delete a batch**")
        names = {b["id"]: f"{b['name']} · {b['people_in_file']:,} people" for b in batches}
        bid = st.selectbox("Batch to delete", list(names), index=None, format_func=names.get,
                           key=f"delete_batch_pick_{cid}", placeholder="Pick a batch…")
        if bid is None:
            return
        info = eng.batch_deletion(bid)
        st.warning(
            f"This deletes the batch **{_ui.md(info['name'])}**: {info['leads_only_here']:,} leads that are in no other "
            f"upload go with their scores and review labels; {info['leads_elsewhere']:,} leads that are also in "
            "another upload stay. This cannot be undone.", icon=":material/delete_forever:")
        typed = st.text_input("Type the batch's name to confirm", key=f"delete_batch_confirm_{cid}_{bid}")
        if st.button("Delete batch", type="primary", icon=":material/delete:", key=f"delete_batch_{cid}_{bid}",
                     disabled=typed.strip() != info["name"].strip()):
            try:
                done = eng.delete_batch(bid, author=_ui.actor())
            except (RunConflict, PermissionDenied) as exc:
                st.error(_ui.md(exc))
                return
            _ui.flash(f"Deleted the batch **{_ui.md(done['name'])}** ({done['leads_only_here']:,} leads deleted, "
                      f"{done['leads_elsewhere']:,} kept).", "info")
            st.rerun()


def main() -> None:
    _ui.require(Permission.UPLOAD)
    eng: Engine = _ui.engine()
    st.title("Upload followers")
    _ui.show_flash()
    client = _ui.require_client(eng)
    cid = client["id"]
    stored = st.session_state.get(STORED_KEY)
    if stored and stored.get("client") == cid:
        st.page_link(_ui.PAGE_FILES["run"], label=f"Next: run qualification on {_ui.md(stored['batch'])}",
                     icon=":material/play_circle:")
    st.caption(f"Client: **{_ui.md(client['name'])}**. Nothing is stored until you press *Store*.")
    batches = eng.views.batch_options(cid, limit=50)
    if batches:
        earlier_uploads(eng, client, batches)

    inputs = _inputs()
    if not inputs:
        st.info(
            "On LinkedIn open *My Network → Followers* (or a connections or search page), scroll to the "
            "end of the list until no more people load, then save it with your browser (*Save page as…*). "
            "Drop the .html file here."
        )
        return
    st.session_state.pop(STORED_KEY, None)

    good: list[UploadPreview] = []
    with st.spinner("Reading the files…"):
        previews = [(name, _preview(eng, cid, name, data)) for name, data in inputs]
    for name, p in previews:
        file_message(p, name)
        if not isinstance(p, str):
            good.append(p)

    if not good:
        return

    merged = merge_previews(good)
    people, known = merged.people, merged.known

    n_new = merged.new_count
    n_known = len(known) - n_new
    n_no_url = sum(1 for p in people if not p.has_url)
    m = st.columns(4 if n_no_url else 3)
    m[0].metric("People found", len(people))
    m[1].metric("New leads", n_new)
    m[2].metric("Already leads", n_known)
    if n_no_url:
        m[3].metric("Without profile URL", n_no_url)

    def headline(p: Any) -> str:
        if p.headline:
            return str(p.headline)
        title, company = getattr(p, "title", None), getattr(p, "company", None)
        return " at ".join(x for x in (title, company) if x)  # a Connections.csv: Position at Company

    preview = pd.DataFrame(
        [
            {
                "Name": p.name or "",
                "Headline": headline(p),
                "Status": "already a lead" if k else "new",
                "Location": p.location or "",
                "Profile": _ui.safe_url(p.profile_url) or "no URL",
            }
            for p, k in list(zip(people, known))[:PREVIEW_ROWS]
        ]
    )
    all_urls = all(p.profile_url for p in people[:PREVIEW_ROWS])
    st.dataframe(
        preview, hide_index=True, width="stretch", height=min(400, 38 + 35 * len(preview)),
        # people without a profile URL read "no URL": a plain column then, not a link
        column_config={"Profile": st.column_config.LinkColumn("Profile")} if all_urls else None,
    )
    if len(people) > PREVIEW_ROWS:
        st.caption(f"Showing the first {PREVIEW_ROWS} of {len(people)} people.")

    batch_name = st.text_input("Batch name", value=default_batch_name(merged.filenames, now=_ui.local_dt(datetime.now(UTC))),
                               key=f"batch_name_{st.session_state.get('_upload_round', 0)}")
    if st.button(f"Store {len(people)} people", type="primary", disabled=not people):
        # the people parsed for the preview are stored as they are (no second parse of big files)
        try:
            batch = eng.store_upload(cid, good, batch_name=batch_name, author=_ui.author())
        except InvalidInput as exc:
            st.error(f"Nothing was stored: {_ui.md(exc)}")
            return
        st.session_state["_upload_round"] = st.session_state.get("_upload_round", 0) + 1
        st.session_state.pop("_upload_previews", None)
        st.session_state[STORED_KEY] = {"client": cid, "batch": batch["name"]}
        _ui.flash(
            f"Stored batch **{_ui.md(batch['name'])}**: {batch['new_leads']} new leads, "
            f"{batch['known_leads']} already leads of {_ui.md(client['name'])}."
        )
        st.rerun()


main()
