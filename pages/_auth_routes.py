"""HTTP routes of the dashboard server (Starlette, mounted by ``st.App`` in ``app.py``).

A Streamlit script cannot set an HttpOnly cookie: only an HTTP response can. After a sign-in the
dashboard hands the browser a one-time code (``icp_engine.HANDOFFS``); the page posts it to
``POST /_icp/auth/session``, which answers with ``Set-Cookie: icp_session=<signed token>;
HttpOnly; SameSite=Strict`` (``Secure`` behind HTTPS). ``POST /_icp/auth/logout`` clears the cookie
(the session row is already deleted by then, so the cookie would be useless anyway). Both refuse
requests whose ``Origin`` is not this server (cross-site requests).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from icp_engine import COOKIE_NAME, HANDOFFS

SESSION_PATH = "_icp/auth/session"
LOGOUT_PATH = "_icp/auth/logout"


def _base(base_url_path: str) -> str:
    base = "/".join(p for p in (base_url_path or "").split("/") if p)
    return f"/{base}/" if base else "/"


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    host = request.headers.get("x-forwarded-host") or request.headers.get("host")
    if not origin or not host:
        return False
    return urlsplit(origin).netloc.lower() == host.split(",")[0].strip().lower()


def _https(request: Request) -> bool:
    proto = (request.headers.get("x-forwarded-proto") or request.url.scheme or "").split(",")[0].strip()
    return proto.lower() == "https"


def routes(base_url_path: str = "") -> list[Route]:
    """The cookie routes under Streamlit's ``server.baseUrlPath``."""
    base = _base(base_url_path)

    async def set_session_cookie(request: Request) -> JSONResponse:
        if not _same_origin(request):
            return JSONResponse({"ok": False, "error": "cross-site request"}, status_code=403)
        form: Any = await request.form()
        found = HANDOFFS.redeem(str(form.get("code") or ""))
        if found is None:
            return JSONResponse({"ok": False, "error": "unknown or expired code"}, status_code=400)
        value, max_age = found
        response = JSONResponse({"ok": True})
        response.set_cookie(COOKIE_NAME, value, max_age=max_age, path=base, httponly=True, samesite="strict",
                            secure=_https(request))
        return response

    async def clear_session_cookie(request: Request) -> JSONResponse:
        if not _same_origin(request):
            return JSONResponse({"ok": False, "error": "cross-site request"}, status_code=403)
        response = JSONResponse({"ok": True})
        response.delete_cookie(COOKIE_NAME, path=base, httponly=True, samesite="strict", secure=_https(request))
        return response

    return [
        Route(base + SESSION_PATH, set_session_cookie, methods=["POST"]),
        Route(base + LOGOUT_PATH, clear_session_cookie, methods=["POST"]),
    ]


def cookie_script(path: str, code: str | None, base_url_path: str = "") -> str:
    """A ``<script>`` posting ``code`` (or nothing, for sign-out) to one of the routes; the code is
    a server-made URL-safe token, put in as a JSON string."""
    import json

    url = _base(base_url_path) + path
    body = f"body: new URLSearchParams({{code: {json.dumps(code)}}})," if code else ""
    return ("<script>fetch(" + json.dumps(url) + ", {method: 'POST', " + body +
            " credentials: 'same-origin'}).catch(function () {});</script>")
