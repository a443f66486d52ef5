"""ICP Qualifier dashboard: ``streamlit run app.py``.

This file is **the server**: ``streamlit run app.py`` finds the ``st.App`` below and serves it
(uvicorn), with the two cookie routes of :mod:`pages._auth_routes`. Every browser session runs
``pages/_app.py``, the dashboard's shell: the sign-in gate, then the pages (``pages/``) behind
``st.navigation``, filtered by the account's role. ``pages/_app.py`` says why the shell lives there
(a ``pages/`` folder next to Streamlit's main script would start each fresh server in Streamlit's
legacy multipage mode, so a deep link ran a page file without the shell).

Before sign-in nothing but the sign-in form runs: no page, whatever the URL. Sign-in is local
accounts (:mod:`icp_engine.auth`), or Streamlit's OIDC login (``st.login``) when
``.streamlit/secrets.toml`` has an ``[auth]`` block. A session survives a reload through an
HttpOnly cookie that refers to a session row in Postgres. Settings come from the environment
(``DATABASE_URL``, ``ICP_DATA_DIR``, API keys, ``ICP_ADMIN_USER`` / ``ICP_ADMIN_PASSWORD``), a
``.env`` file or ``.streamlit/secrets.toml``; with none of them set the app runs offline on an
embedded Postgres.
"""

from __future__ import annotations

import streamlit as st

from pages import _auth_routes

#: The ASGI app ``streamlit run app.py`` serves; ``pages/_app.py`` is its main script (relative to here).
app = st.App("pages/_app.py", routes=_auth_routes.routes(st.get_option("server.baseUrlPath")))
