"""Upload: saved follower pages, Connections.csv or URL lists -> preview -> store as a batch."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from icp_engine import Engine, InvalidInput, Permission, UploadPreview, default_batch_name, merge_previews
from pages import _ui

ACCEPTED = ["html", "htm", "csv", "txt", "zip"]
PREVIEW_ROWS = 500


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


def main() -> None:
    _ui.require(Permission.UPLOAD)
    eng: Engine = _ui.engine()
    st.title("Upload followers")
    _ui.show_flash()
    client = _ui.require_client(eng)
    cid = client["id"]
    st.caption(f"Client: **{_ui.md(client['name'])}**. Nothing is stored until you press *Store*.")
    batches = eng.views.batch_options(cid, limit=50)
    if batches:
        with st.expander(f"Earlier uploads of this client ({len(batches)})"):
            st.dataframe(
                pd.DataFrame(batches)[["name", "source_kind", "people_in_file", "new_leads", "known_leads", "created_at"]],
                hide_index=True, width="stretch",
            )

    inputs = _inputs()
    if not inputs:
        st.info(
            "On LinkedIn open *My Network → Followers* (or a connections or search page), scroll to the "
            "end of the list, then save it with your browser (*Save page as…*). Drop the .html file here."
        )
        return

    good: list[UploadPreview] = []
    with st.spinner("Reading the files…"):
        for name, data in inputs:
            p = _preview(eng, cid, name, data)
            if isinstance(p, str):
                st.error(f"**{_ui.md(name)}**: {_ui.md(p)} Nothing from this file will be stored.")
            else:
                good.append(p)

    if not good:
        return

    merged = merge_previews(good)
    people, known = merged.people, merged.known
    for p in good:
        st.markdown(
            f"**{_ui.md(p.filename)}** ({_ui.md(p.parsed.kind)}): {len(p.parsed.people)} people, "
            f"{p.new} new, {p.known} already leads of this client"
        )
        for w in p.parsed.warnings:
            st.warning(f"{_ui.md(p.filename)}: {_ui.md(w)}")
        for note in p.notices():
            st.info(f"{_ui.md(p.filename)}: {_ui.md(note)}")

    n_new = merged.new_count
    n_known = len(known) - n_new
    n_no_url = sum(1 for p in people if not p.has_url)
    m = st.columns(4 if n_no_url else 3)
    m[0].metric("People found", len(people))
    m[1].metric("New leads", n_new)
    m[2].metric("Already leads", n_known)
    if n_no_url:
        m[3].metric("Without profile URL", n_no_url)

    preview = pd.DataFrame(
        [
            {
                "name": p.name or "",
                "headline": p.headline or "",
                "status": "already a lead" if k else "new",
                "location": p.location or "",
                "profile": _ui.safe_url(p.profile_url) or "no URL",
            }
            for p, k in list(zip(people, known))[:PREVIEW_ROWS]
        ]
    )
    all_urls = all(p.profile_url for p in people[:PREVIEW_ROWS])
    st.dataframe(
        preview, hide_index=True, width="stretch", height=min(400, 38 + 35 * len(preview)),
        # people without a profile URL read "no URL": a plain column then, not a link
        column_config={"profile": st.column_config.LinkColumn("profile")} if all_urls else None,
    )
    if len(people) > PREVIEW_ROWS:
        st.caption(f"Showing the first {PREVIEW_ROWS} of {len(people)} people.")

    batch_name = st.text_input("Batch name", value=default_batch_name(merged.filenames),
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
        _ui.flash(
            f"Stored batch **{_ui.md(batch['name'])}**: {batch['new_leads']} new leads, "
            f"{batch['known_leads']} already leads of {_ui.md(client['name'])}. Next: *Run* to qualify them."
        )
        st.rerun()


main()
