"""The script every browser session of the dashboard runs (Streamlit's *main script*).

``streamlit run app.py`` starts the server of ``app.py`` (an ``st.App``), which runs this file
for each session: the sign-in gate, the sidebar (client picker, signed-in account), then the pages
of this folder behind ``st.navigation``, filtered by the account's role. Page paths here are
relative to this file.

Why this file lives in ``pages/`` and not in ``app.py``: Streamlit (1.67,
``streamlit/runtime/pages_manager.py``) decides once per process, when the first session starts,
whether the app "uses the pages directory" from ``Path(<folder of the main script> / "pages").exists()``
alone, and then runs that first session in its legacy multipage mode (``_mpa_v1`` in
``runtime/scriptrunner/script_runner.py``): a deep link such as ``/upload`` as the first request of
a fresh server ran ``2_upload.py`` by itself, without this shell (raw file names in the sidebar, no
client picker, no sign-in gate), and widgets of a first ``/`` got other ids than in later runs.
``st.navigation`` switches that mode off only when it has run once. Moving the page modules out of
``pages/`` does not help (the folder's mere existence counts, and a deep link then shows "Page not
found"), nor does ``client.showSidebarNavigation`` (it hides this app's own navigation too). With
the main script inside ``pages/`` there is no ``pages/`` next to it, so Streamlit never enters the
legacy mode, without touching its internals; the repository keeps its layout (``app.py``, ``pages/``).
"""

from __future__ import annotations

import streamlit as st

from icp_engine import COOKIE_NAME, DatabaseError, Engine, InvalidInput, LoginFailed, Permission, User
from pages import _auth_routes, _ui


#: (file, title, icon, url path, what the role needs to see the page)
PAGE_SPECS = [
    ("1_clients.py", "Clients & ICP", ":material/groups:", "clients", Permission.MANAGE_CLIENTS),
    ("2_upload.py", "Upload", ":material/upload_file:", "upload", Permission.UPLOAD),
    ("3_run.py", "Run", ":material/play_circle:", "run", Permission.RUN),
    ("4_review.py", "Review", ":material/fact_check:", "review", Permission.REVIEW),
    ("5_export.py", "Export", ":material/download:", "export", Permission.EXPORT),
    ("6_admin.py", "Admin", ":material/admin_panel_settings:", "admin", Permission.MANAGE_USERS),
]


def pages_for(user: User | None) -> list[st.Page]:
    """The pages this account may open (all of them, hidden, before sign-in: the URL of a deep link
    stays as it is until the user has signed in), each at its own URL (``/clients``, ``/review``...),
    plus the hidden default page of the root URL, which opens the first of them.

    Streamlit serves its default page at ``/`` only (``StreamlitPage.url_path`` is ``""`` for it), so
    with Clients & ICP as the default page ``/clients`` said "Page not found"."""
    specs = [s for s in PAGE_SPECS if user is None or user.can(s[4])]
    pages = [st.Page(path, title=title, icon=icon, url_path=url) for path, title, icon, url, _ in specs]
    first = pages[0]

    def home() -> None:
        st.switch_page(first)

    return [st.Page(home, title=first.title, icon=first.icon, url_path="home", default=True, visibility="hidden"),
            *pages]


def database_error_page(exc: Exception) -> None:
    st.title("The database could not start")
    st.error(_ui.md(exc))
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


# ------------------------------------------------------------------ sign-in


def _oidc_enabled() -> bool:
    """True when ``.streamlit/secrets.toml`` configures Streamlit's OIDC login (``[auth]``)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no or unreadable secrets file: local accounts
        return False


def _signed_in(engine: Engine, user: User, token: str | None) -> None:
    st.session_state[_ui.USER_KEY] = user
    if token is not None:
        st.session_state[_ui.TOKEN_KEY] = token
        st.session_state["_auth_handoff"] = engine.auth.handoff(token)
    st.session_state.pop("_auth_signed_out", None)


def authenticate(engine: Engine) -> User | None:
    """The signed-in account of this session, from (in order) this session's token, Streamlit's
    OIDC identity, or the browser's session cookie; None when nobody is signed in."""
    if _oidc_enabled():
        if not getattr(st.user, "is_logged_in", False):
            return None
        user = engine.auth.user_for_identity(st.user.get("email"))
        st.session_state[_ui.USER_KEY] = user
        return user
    token = st.session_state.get(_ui.TOKEN_KEY)
    user = engine.auth.session_user(token) if token else None
    if user is None and not st.session_state.get("_auth_signed_out"):
        found = engine.auth.user_from_cookie(st.context.cookies.get(COOKIE_NAME))
        if found is not None:
            user, token = found
            st.session_state[_ui.TOKEN_KEY] = token
    if user is None:
        st.session_state.pop(_ui.TOKEN_KEY, None)
        st.session_state.pop(_ui.USER_KEY, None)
    else:
        st.session_state[_ui.USER_KEY] = user
    return user


def login_screen(engine: Engine) -> None:
    """The sign-in form, the "create the admin account" form on a fresh installation, or the OIDC
    sign-in button. Shows no client data."""
    if st.session_state.pop("_auth_clear_cookie", False):
        st.html(_auth_routes.cookie_script(_auth_routes.LOGOUT_PATH, None, st.get_option("server.baseUrlPath")),
                unsafe_allow_javascript=True)
    problem = _ui.admin_from_settings(engine)
    _, mid, _ = st.columns([1, 2, 1])
    with mid:
        st.title("ICP Qualifier")
        if problem:
            st.error(_ui.md(problem))
        if _oidc_enabled():
            _oidc_screen(engine)
            return
        if not engine.auth.has_users():
            _first_admin_form(engine)
            return
        with st.form("login"):
            st.subheader("Sign in")
            username = st.text_input("User name", autocomplete="username")
            password = st.text_input("Password", type="password", autocomplete="current-password")
            submitted = st.form_submit_button("Sign in", type="primary", width="stretch")
        if submitted:
            try:
                user, token = engine.auth.login(username, password)
            except LoginFailed as exc:
                st.error(_ui.md(exc))
            else:
                _signed_in(engine, user, token)
                st.rerun()
        st.caption("Accounts are created by an admin (page *Admin*).")


def _first_admin_form(engine: Engine) -> None:
    st.subheader("Create the admin account")
    st.caption("No account exists yet. The first account is the admin: it manages users, clients and "
               "deletions. Anyone who can open this page now can take it, so do this right after installing.")
    with st.form("first_admin"):
        username = st.text_input("User name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="new-password")
        again = st.text_input("Repeat the password", type="password", autocomplete="new-password")
        submitted = st.form_submit_button("Create the admin account", type="primary", width="stretch")
    if submitted:
        if password != again:
            st.error("The passwords differ.")
            return
        try:
            engine.auth.create_first_admin(username, password)
            user, token = engine.auth.login(username, password)
        except (InvalidInput, PermissionError) as exc:
            st.error(_ui.md(exc))
        else:
            _signed_in(engine, user, token)
            st.rerun()


def _oidc_screen(engine: Engine) -> None:
    if not getattr(st.user, "is_logged_in", False):
        st.subheader("Sign in")
        if st.button("Sign in with your identity provider", type="primary", width="stretch"):
            st.login()
        return
    email = st.user.get("email")
    if not engine.auth.has_users() and email:
        st.subheader("Create the admin account")
        st.caption(f"No account exists yet. Make {_ui.md(email)} the admin account?")
        if st.button("Make me the admin", type="primary"):
            engine.auth.create_first_admin(str(email), None)
            st.rerun()
    else:
        st.warning(f"{_ui.md(email or 'This identity')} has no account here; ask an admin to create it.")
    if st.button("Sign out"):
        st.logout()


def logout(engine: Engine) -> None:
    """End this session: its row is deleted, then the cookie is cleared by the next run."""
    if _oidc_enabled():
        st.logout()
        return
    engine.auth.logout(st.session_state.get(_ui.TOKEN_KEY))
    for k in (_ui.TOKEN_KEY, _ui.USER_KEY, _ui.CLIENT_KEY, "_url_loaded"):
        st.session_state.pop(k, None)
    st.session_state["_auth_signed_out"] = True
    st.session_state["_auth_clear_cookie"] = True
    st.rerun()


# ------------------------------------------------------------------ sidebar and URL


def _from_url() -> None:
    """On a new session (e.g. a page reload), take the client from the URL. An id that is not a
    client is an error, never another client's data."""
    if st.session_state.get("_url_loaded"):
        return
    st.session_state["_url_loaded"] = True
    raw = st.query_params.get("client")
    if raw is None or _ui.PENDING_CLIENT_KEY in st.session_state:
        return
    st.session_state[_ui.PENDING_CLIENT_KEY] = int(raw) if raw.isdigit() else -1


def _to_url() -> None:
    """Keep the client in the URL so a reload (or a shared link) keeps it."""
    cid = st.session_state.get(_ui.CLIENT_KEY)
    if cid is not None and st.query_params.get("client") != str(cid):
        st.query_params["client"] = str(cid)


def sidebar(engine: Engine, user: User) -> None:
    _from_url()
    pending = st.session_state.pop(_ui.PENDING_CLIENT_KEY, None)
    clients = engine.list_clients()
    ids = [c["id"] for c in clients]
    names = {c["id"]: c["name"] for c in clients}
    unknown = pending is not None and pending not in ids
    if pending is not None and not unknown:
        st.session_state[_ui.CLIENT_KEY] = pending
    elif unknown:
        st.session_state[_ui.CLIENT_KEY] = None
        st.session_state["_client_link_unknown"] = True  # no client is picked for the user after that
        st.query_params.pop("client", None)
    elif st.session_state.get(_ui.CLIENT_KEY) not in ids and not (
            st.session_state.get("_client_link_unknown") and st.session_state.get(_ui.CLIENT_KEY) is None):
        st.session_state[_ui.CLIENT_KEY] = ids[0] if ids else None
    if unknown:  # said on the page that opens (the root URL forwards to the first page)
        _ui.flash("The link names a client that does not exist (it may have been deleted). "
                  "Pick a client in the sidebar.", "error")
    with st.sidebar:
        st.selectbox(
            "Client",
            ids,
            key=_ui.CLIENT_KEY,
            format_func=lambda i: names.get(i, str(i)),
            placeholder="No client yet" if not ids else "Pick a client",
            help="Every page works on this client's leads.",
        )
        avail = engine.settings.available_providers
        on = [k for k in ("openai", "apify", "jina", "cohere") if avail.get(k)]
        st.caption(
            ("Database: " + ("external (DATABASE_URL)" if avail.get("database") else "embedded"))
            + " · Services: " + (", ".join(on) if on else "offline (no API keys)")
        )
        st.divider()
        st.caption(f"Signed in as **{_ui.md(user.username)}** ({user.role.value})")
        if st.button("Sign out", icon=":material/logout:", key="sign_out"):
            logout(engine)
        handoff = st.session_state.pop("_auth_handoff", None)
        if handoff:  # a fresh sign-in: let the browser keep it as an HttpOnly cookie
            st.html(_auth_routes.cookie_script(_auth_routes.SESSION_PATH, handoff,
                                               st.get_option("server.baseUrlPath")),
                    unsafe_allow_javascript=True)
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
    user = authenticate(engine)
    if user is None:
        st.navigation(pages_for(None), position="hidden")  # keeps a deep link's page for after sign-in
        login_screen(engine)
        return
    sidebar(engine, user)
    st.navigation(pages_for(user)).run()


st.set_page_config(page_title="ICP Qualifier", page_icon=_ui.app_icon(), layout="wide")
main()
