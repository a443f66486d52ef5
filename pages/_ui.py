"""Helpers shared by the dashboard pages: the cached engine, the current client and reviewer.

Not a page itself (``st.navigation`` in ``app.py`` lists the pages explicitly). Everything the
pages do goes through the public API of :mod:`icp_engine` (the :class:`~icp_engine.Engine`
facade and its read side ``engine.views``); pages import nothing else of the package.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from icp_engine import Engine, NotFound, Settings

CLIENT_KEY = "client_id"  # the sidebar picker's widget key (id of the selected client or None)
PENDING_CLIENT_KEY = "_pending_client_id"  # set by a page to select a client on the next run
REVIEWER_KEY = "reviewer"


@st.cache_resource(show_spinner="Starting the database…")
def get_engine() -> Engine:
    """The process-wide engine (settings from the environment, ``.env`` or secrets.toml).

    Created once per Streamlit server process; resumes runs left unfinished by an earlier
    process. Raises :class:`icp_engine.DatabaseError` (not cached, so a later rerun
    retries) when the database cannot start.
    """
    engine = Engine(Settings())
    engine.resume_unfinished_runs()
    return engine


def engine() -> Engine:
    """Shortcut for :func:`get_engine` used by the pages."""
    return get_engine()


def select_client(client_id: int) -> None:
    """Make ``client_id`` the selected client from the next script run on (then ``st.rerun()``)."""
    st.session_state[PENDING_CLIENT_KEY] = int(client_id)


def current_client_id() -> int | None:
    """Id of the client picked in the sidebar, or None."""
    value = st.session_state.get(CLIENT_KEY)
    return int(value) if value is not None else None


def require_client(eng: Engine) -> dict[str, Any]:
    """The selected client's row; shows a hint and stops the page when none is selected."""
    cid = current_client_id()
    if cid is None:
        st.info("Create or pick a client first (page **Clients & ICP**, or the picker in the sidebar).")
        st.page_link("pages/1_clients.py", label="Go to Clients & ICP", icon=":material/groups:")
        st.stop()
    try:
        return eng.get_client(cid)
    except NotFound:
        st.session_state[CLIENT_KEY] = None
        st.warning("That client no longer exists; pick another one.")
        st.stop()
    raise AssertionError("unreachable")


def reviewer() -> str:
    """The reviewer name typed in the sidebar (stripped; may be empty)."""
    return (st.session_state.get(REVIEWER_KEY) or "").strip()


def author() -> str:
    """Who to record as author of ICP versions, batches and runs (reviewer or ``anonymous``)."""
    return reviewer() or "anonymous"


def flash(message: str, kind: str = "success") -> None:
    """Queue a message to show at the top of the next run of the page (survives ``st.rerun``)."""
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flash() -> None:
    """Render and clear queued messages."""
    for kind, message in st.session_state.pop("_flash", []):
        getattr(st, kind, st.info)(message)


def fmt_seconds(s: float | None) -> str:
    """``75.3`` -> ``"1 min 15 s"``; None -> ``"–"``."""
    if s is None:
        return "–"
    s = int(round(s))
    if s < 60:
        return f"{s} s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m} min {s} s"
    h, m = divmod(m, 60)
    return f"{h} h {m} min"
