"""ICP Qualifier dashboard: ``streamlit run app.py``.

Five pages (``pages/``) behind ``st.navigation``: Clients & ICP, Upload, Run, Review, Export.
The sidebar holds the client picker and the reviewer name, shared by every page through
``st.session_state``. Settings come from the environment (``DATABASE_URL``, ``ICP_DATA_DIR``,
API keys), a ``.env`` file or ``.streamlit/secrets.toml``; with none of them set the app runs
offline on an embedded Postgres.
"""

from __future__ import annotations

import streamlit as st

from icp_engine import DatabaseError, Engine
from pages import _ui


def _leave_pages_directory_mode() -> None:
    """Make sure this run is a ``st.navigation`` (multipage v2) run.

    Streamlit decides per process whether an app "uses the pages directory" from the mere
    existence of ``pages/`` next to the main script, and runs the very first script run of the
    process in that legacy mode (the pages run inside an automatic navigation) until our
    ``st.navigation`` call switches it off. Widgets created in that first run get other ids than
    in every later run, so the first thing a user types after a server start was silently lost.
    Switching the flag off and rerunning before any widget exists avoids that (Streamlit 1.67).
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - other Streamlit versions
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_pages_directory_mode()
st.set_page_config(page_title="ICP Qualifier", page_icon=_ui.app_icon(), layout="wide")

PAGES = [
    st.Page("pages/1_clients.py", title="Clients & ICP", icon=":material/groups:", url_path="clients", default=True),
    st.Page("pages/2_upload.py", title="Upload", icon=":material/upload_file:", url_path="upload"),
    st.Page("pages/3_run.py", title="Run", icon=":material/play_circle:", url_path="run"),
    st.Page("pages/4_review.py", title="Review", icon=":material/fact_check:", url_path="review"),
    st.Page("pages/5_export.py", title="Export", icon=":material/download:", url_path="export"),
]


def database_error_page(exc: Exception) -> None:
    st.title("The database could not start")
    st.error(str(exc))
    st.markdown(
        """
**What to check**

* Without `DATABASE_URL`, an embedded Postgres is started under `ICP_DATA_DIR`
  (default: a per-user data folder). Make sure that folder is writable and not inside a private
  folder such as `/root`, and that no other Postgres is stuck on it (`python -m icp_engine db-stop`).
* With `DATABASE_URL`, the server must be reachable and have the `vector` extension (pgvector).

Fix the cause, then reload this page.
"""
    )
    if st.button("Retry"):
        st.rerun()


def _from_url() -> None:
    """On a new session (e.g. a page reload), take client and reviewer from the URL."""
    if st.session_state.get("_url_loaded"):
        return
    st.session_state["_url_loaded"] = True
    qp = st.query_params
    if qp.get("reviewer") and _ui.REVIEWER_KEY not in st.session_state:
        st.session_state[_ui.REVIEWER_KEY] = qp["reviewer"][:80]
    if qp.get("client", "").isdigit() and _ui.PENDING_CLIENT_KEY not in st.session_state:
        st.session_state[_ui.PENDING_CLIENT_KEY] = int(qp["client"])


def _to_url() -> None:
    """Keep client and reviewer in the URL so a reload (or a shared link) keeps them."""
    want = {}
    if st.session_state.get(_ui.CLIENT_KEY) is not None:
        want["client"] = str(st.session_state[_ui.CLIENT_KEY])
    if _ui.reviewer():
        want["reviewer"] = _ui.reviewer()
    current = {k: st.query_params.get(k) for k in ("client", "reviewer")}
    if any(current.get(k) != v for k, v in want.items()):
        st.query_params.update(want)


def sidebar(engine: Engine) -> None:
    _from_url()
    pending = st.session_state.pop(_ui.PENDING_CLIENT_KEY, None)
    clients = engine.list_clients()
    ids = [c["id"] for c in clients]
    names = {c["id"]: c["name"] for c in clients}
    if pending is not None and pending in ids:
        st.session_state[_ui.CLIENT_KEY] = pending
    elif st.session_state.get(_ui.CLIENT_KEY) not in ids:
        st.session_state[_ui.CLIENT_KEY] = ids[0] if ids else None
    with st.sidebar:
        st.selectbox(
            "Client",
            ids,
            key=_ui.CLIENT_KEY,
            format_func=lambda i: names.get(i, str(i)),
            placeholder="No client yet",
            help="Every page works on this client's leads.",
        )
        st.text_input(
            "Reviewer name",
            key=_ui.REVIEWER_KEY,
            placeholder="e.g. Dana",
            help="Recorded with review labels, ICP versions and uploads.",
        )
        avail = engine.settings.available_providers
        on = [k for k in ("openai", "apify", "jina", "cohere") if avail.get(k)]
        st.caption(
            ("Database: " + ("external (DATABASE_URL)" if avail.get("database") else "embedded"))
            + " · Services: " + (", ".join(on) if on else "offline (no API keys)")
        )
    _to_url()


def main() -> None:
    try:
        engine = _ui.get_engine()
    except DatabaseError as exc:
        error = exc

        def database_error() -> None:
            database_error_page(error)

        st.navigation([st.Page(database_error, title="Database error")], position="hidden").run()
        return
    sidebar(engine)
    nav = st.navigation(PAGES)
    nav.run()


main()
