"""Helpers shared by the dashboard pages: the cached engine, the signed-in user, the current client,
and showing user text as text.

Not a page itself (``st.navigation`` in ``pages/_app.py`` lists the pages explicitly). Everything the
pages do goes through the public API of :mod:`icp_engine` (the :class:`~icp_engine.Engine`
facade and its read side ``engine.views``); pages import nothing else of the package.

**User text is text.** Names, headlines, companies, client, batch and file names come from
uploads and users. Streamlit renders Markdown (and LaTeX, colour directives, links, emoji) in
``st.markdown``, ``st.caption``, alerts, titles, labels, progress texts and metric values, so
every such value goes through :func:`md` before it is put into one of those; data tables
(``st.dataframe``), ``st.text`` and selectbox options show text as it is. Links go through
:func:`safe_url`.
"""

from __future__ import annotations

import functools
import html
import re
from datetime import datetime, UTC
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from icp_engine import Engine, InvalidInput, NotFound, Permission, Settings, User

CLIENT_KEY = "client_id"  # the sidebar picker's widget key (id of the selected client or None)
PENDING_CLIENT_KEY = "_pending_client_id"  # set by a page to select a client on the next run
USER_KEY = "_auth_user"  # the signed-in icp_engine.User of this session (set by the gate of pages/_app.py)
TOKEN_KEY = "_auth_token"  # this session's sign-in token (server memory only; the cookie holds it signed)


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


@st.cache_resource(show_spinner=False)
def admin_from_settings(_engine: Engine) -> str | None:
    """Create the admin named by ``ICP_ADMIN_USER`` / ``ICP_ADMIN_PASSWORD`` once per process;
    returns the problem to show on the sign-in screen, or None."""
    try:
        _engine.auth.ensure_admin_from_settings()
    except InvalidInput as exc:
        return str(exc)
    return None


def engine() -> Engine:
    """Shortcut for :func:`get_engine` used by the pages."""
    return get_engine()


# ------------------------------------------------------------------ the signed-in user


def current_user() -> User | None:
    """The signed-in account of this session, or None."""
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, User) else None


def require(permission: Permission) -> User:
    """The signed-in account when its role grants ``permission``; otherwise an explanation and
    ``st.stop()`` (a page never runs its body for a visitor who is not signed in)."""
    user = current_user()
    if user is None:
        st.warning("Sign in first.")
        st.stop()
        raise AssertionError("unreachable")
    if not user.can(permission):
        st.error("Your account may not use this page; ask an admin.")
        st.stop()
    return user


def author() -> str:
    """The name to record as author of ICP versions, batches, runs and calls: the signed-in account's."""
    user = current_user()
    return user.username if user else "anonymous"


def actor() -> User | str:
    """The signed-in account itself, for engine calls that also write the audit trail (its id and name)."""
    return current_user() or "anonymous"


def reviewer() -> str:
    """The reviewer recorded with review labels: the signed-in account's name ("" when signed out)."""
    user = current_user()
    return user.username if user else ""


# ------------------------------------------------------------------ clients


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
        user = current_user()
        if user is not None and user.can(Permission.MANAGE_CLIENTS):
            st.page_link(PAGE_FILES["clients"], label="Go to Clients & ICP", icon=":material/groups:")
        st.stop()
    try:
        return eng.get_client(cid)
    except NotFound:
        st.session_state[CLIENT_KEY] = None
        st.warning("That client no longer exists; pick another one.")
        st.stop()
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ user text as text

_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_AUTOLINK = re.compile(r"(?i)(:)(//)|(www)(\.)|(@)")
_JOINER = "\u2060"  # WORD JOINER: invisible, breaks Markdown's bare-URL / e-mail autolinks


def md(value: Any) -> str:
    """``value`` as Markdown that renders exactly as the text: every ASCII punctuation character
    backslash-escaped (CommonMark: "any ASCII punctuation character may be backslash-escaped"), so
    no emphasis, link, heading, list, HTML, ``$…$`` math, ``:color[…]`` directive or ``:emoji:``
    is formed; bare URLs and e-mail addresses get an invisible word joiner so they are not turned
    into links; line breaks become spaces. None -> ``""``."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    text = _AUTOLINK.sub(lambda m: "".join(g + (_JOINER if i in (0, 2, 4) else "") for i, g in
                                           enumerate(m.groups()) if g is not None), text)
    return _MD_SPECIAL.sub(r"\\\1", text)


def chart_text(value: Any) -> str:
    """``value`` for a Plotly label or tick (Plotly reads a subset of HTML tags and entities):
    HTML-escaped, so ``<b>`` shows as ``<b>``."""
    return html.escape("" if value is None else str(value), quote=False)


_LINKEDIN = re.compile(r"^https://([a-z]{2,3}\.)?(www\.)?linkedin\.com/[^\s<>\"'()]*$")


def safe_url(url: Any) -> str | None:
    """A stored profile link when it is an ``https://…linkedin.com/`` URL, else None (a link column
    or a Markdown link never points anywhere else, e.g. ``javascript:``)."""
    if not isinstance(url, str) or not _LINKEDIN.match(url.strip()):
        return None
    return url.strip()


# ------------------------------------------------------------------ small helpers


def flash(message: str, kind: str = "success") -> None:
    """Queue a message (Markdown: escape user text with :func:`md`) for the next run of the page."""
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


#: What an upload's ``source_kind`` is called on screen.
SOURCE_KINDS = {
    "followers_page": "Followers page", "connections_page": "Connections page", "search_page": "People search page",
    "people_page": "People list", "connections_csv": "LinkedIn connections export", "url_list": "List of profile URLs",
}
#: Run statuses and stages on screen.
RUN_STATUS = {"queued": "Waiting", "running": "Running", "paused": "Paused", "completed": "Done",
              "failed": "Failed", "cancelled": "Cancelled"}
RUN_STAGE = {"queued": "waiting to start", "enrich": "enriching", "classify": "classifying", "embed": "embedding",
             "score": "scoring", "done": "finished"}
ENRICH_WORDS = {"page": "Page data", "apify-json": "Apify export", "apify": "Live Apify"}
RERANK_WORDS = {"none": "None", "local": "Local cross-encoder", "jina": "Jina", "cohere": "Cohere"}
LABEL_WORDS = {"keep": "Keep", "trash": "Trash", "skip": "Skip"}


def source_kind(kind: str | None) -> str:
    """``followers_page`` -> ``Followers page`` (unknown kinds: capitalised, underscores as spaces)."""
    if not kind:
        return "–"
    return SOURCE_KINDS.get(kind, kind.replace("_", " ").capitalize())


def _browser_zone() -> Any:
    try:
        tz = st.context.timezone
    except Exception:  # noqa: BLE001 - outside a browser session (AppTest)
        tz = None
    if tz:
        try:
            return ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return datetime.now().astimezone().tzinfo


def local_dt(value: Any) -> datetime | None:
    """A database timestamp (UTC) in the time zone of the user's browser (``st.context.timezone``;
    the server's own zone outside a browser); None stays None."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_browser_zone())


def when(value: Any) -> str:
    """A timestamp as the user reads it, in their time zone: ``3 Dec 2026, 14:05`` ("–" for None)."""
    dt = local_dt(value)
    if dt is None:
        return "–"
    return f"{dt.day} {dt:%b %Y, %H:%M}"


def took(started: Any, finished: Any) -> str:
    """How long something took, as a user reads it: ``45 s``, ``3 min 5 s``, ``1 h 2 min``;
    ``–`` when it has not finished (or either time is missing)."""
    a, b = local_dt(started), local_dt(finished)
    if a is None or b is None:
        return "–"
    secs = max(0, round((b - a).total_seconds()))
    if secs < 60:
        return f"{secs} s"
    if secs < 3600:
        return f"{secs // 60} min {secs % 60} s"
    return f"{secs // 3600} h {secs % 3600 // 60} min"


def version_label(row: dict[str, Any] | None) -> str:
    """``v2 · Finance leaders`` for a ``client_icps``-like row (``version``, ``name`` or ``icp``)."""
    if not row:
        return "–"
    name = row.get("name") or (row.get("icp") or {}).get("name") or ""
    return f"v{row['version']}" + (f" · {name}" if name else "")


#: The page scripts behind ``st.navigation`` (``pages/_app.py``), for links and ``st.switch_page``
#: (paths relative to the main script ``pages/_app.py``).
PAGE_FILES = {
    "clients": "1_clients.py", "upload": "2_upload.py", "run": "3_run.py",
    "review": "4_review.py", "export": "5_export.py", "admin": "6_admin.py",
}
RUN_PRESET_KEY = "_run_preset"  # {"client": id, "icp_version_id": id}: the Run page opens with it


def rerun_with(client_id: int, icp_version_id: int) -> None:
    """Open the Run page with this ICP version chosen and the leads it has not scored yet."""
    st.session_state[RUN_PRESET_KEY] = {"client": int(client_id), "icp_version_id": int(icp_version_id)}
    st.switch_page(PAGE_FILES["run"])


def results_banner(eng: Engine, client_id: int, *, key: str) -> dict[str, Any]:
    """Say whose results the page shows when a newer ICP version was saved but not run yet
    ("Scored with v1 · v2 saved — rerun to apply", with a button to the Run page). Returns
    :meth:`icp_engine.Views.results_state`."""
    state = eng.views.results_state(client_id)
    if state["stale"]:
        cur, shown = state["current"], state["shown"]
        box = st.container(border=True)
        left, right = box.columns([4, 1])
        left.warning(
            f"Scored with **v{shown['version']}** · **v{cur['version']}** saved — rerun to apply. "
            f"These are the results of v{shown['version']} ({shown['scored']:,} leads).",
            icon=":material/history:",
        )
        user = current_user()
        if (user is None or user.can(Permission.RUN)) and right.button(
                f"Rerun with v{cur['version']}", key=f"rerun_{key}_{client_id}", type="primary",
                icon=":material/play_arrow:", width="stretch"):
            rerun_with(client_id, cur["id"])
    return state


@functools.lru_cache(maxsize=1)
def app_icon() -> Any:
    """The browser tab's icon, drawn here (a blue target, 64 px) and served by this server: a
    ``:material/...:`` icon would make the browser fetch it from Google's font server, so the
    tab would have no icon offline."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    for i, color in enumerate(("#2563eb", "#ffffff", "#2563eb", "#ffffff", "#2563eb")):
        r = 31 - 6 * i
        draw.ellipse((32 - r, 32 - r, 32 + r, 32 + r), fill=color)
    return img
