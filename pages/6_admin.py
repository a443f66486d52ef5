"""Admin: accounts, deleting a client, erasing a person, the audit trail, settings (admins only)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from icp_engine import MIN_PASSWORD_LENGTH, Engine, ICPError, Permission, Role, User
from pages import _ui

ROLE_LABELS = {Role.ADMIN: "Admin", Role.REVIEWER: "Reviewer"}
ROLE_HELP = "Admins manage users, clients, ICPs, uploads, runs and deletions; reviewers review and export."


def users_tab(eng: Engine, me: User) -> None:
    users = eng.auth.list_users()
    st.dataframe(
        pd.DataFrame([{"user": u["username"], "role": u["role"], "last sign-in": u["last_login_at"],
                       "signed in now": u["sessions"], "created": u["created_at"]} for u in users]),
        hide_index=True, width="stretch",
    )
    left, right = st.columns(2)
    with left, st.form("new_user", clear_on_submit=True):
        st.markdown("**New account**")
        name = st.text_input("User name", key="new_user_name")
        role = st.radio("Role", list(ROLE_LABELS), format_func=ROLE_LABELS.get, index=1, key="new_user_role",
                        horizontal=True, help=ROLE_HELP)
        password = st.text_input(f"Password (at least {MIN_PASSWORD_LENGTH} characters)", type="password",
                                 key="new_user_password", autocomplete="new-password")
        if st.form_submit_button("Create account", type="primary"):
            try:
                user = eng.auth.create_user(name, password, role, actor=me)
            except (ICPError, ValueError) as exc:
                st.error(_ui.md(exc))
            else:
                _ui.flash(f"Account **{_ui.md(user.username)}** created ({user.role.value}).")
                st.rerun()
    with right:
        st.markdown("**Change an account**")
        by_id = {u["id"]: u for u in users}
        uid = st.selectbox("Account", list(by_id), format_func=lambda i: f"{by_id[i]['username']} ({by_id[i]['role']})",
                           key="edit_user")
        if uid is None:
            return
        target = by_id[uid]
        c1, c2 = st.columns([2, 1])
        new_role = c1.selectbox("Role", list(ROLE_LABELS), format_func=ROLE_LABELS.get,
                                index=list(ROLE_LABELS).index(Role(target["role"])), key=f"role_{uid}", help=ROLE_HELP)
        c2.write("")
        if c2.button("Set role", key=f"set_role_{uid}", disabled=new_role == target["role"]):
            _act(lambda: eng.auth.set_role(uid, new_role, actor=me), f"Role of **{_ui.md(target['username'])}** set.")
        c3, c4 = st.columns([2, 1])
        pw = c3.text_input("New password", type="password", key=f"pw_{uid}", autocomplete="new-password")
        c4.write("")
        if c4.button("Set password", key=f"set_pw_{uid}", disabled=not pw):
            _act(lambda: eng.auth.set_password(uid, pw, actor=me),
                 f"Password of **{_ui.md(target['username'])}** changed; their sessions ended.")
        sure = st.checkbox("Delete this account (their review labels stay)", key=f"del_ok_{uid}",
                           disabled=uid == me.id)
        if st.button("Delete account", key=f"del_user_{uid}", disabled=not sure or uid == me.id):
            _act(lambda: eng.auth.delete_user(uid, actor=me), f"Account **{_ui.md(target['username'])}** deleted.")


def _act(action: Any, message: str) -> None:
    try:
        action()
    except (ICPError, ValueError) as exc:
        st.error(_ui.md(exc))
        return
    _ui.flash(message)
    st.rerun()


def delete_client_tab(eng: Engine, me: User) -> None:
    clients = eng.list_clients()
    if not clients:
        st.caption("No clients.")
        return
    by_id = {c["id"]: c for c in clients}
    cid = st.selectbox("Client to delete", list(by_id), format_func=lambda i: by_id[i]["name"], index=None,
                       placeholder="Pick a client…", key="delete_client_pick")
    if cid is None:
        return
    client = by_id[cid]
    ov = eng.views.client_overview(cid)
    st.warning(
        f"This deletes **{_ui.md(client['name'])}** with its ICP versions, {ov['batches']} upload(s), "
        f"{ov['leads']:,} lead(s), their scores and review labels, and its runs. People who are leads of "
        "no other client are also removed from the shared caches. Other clients are not touched. "
        "This cannot be undone."
    )
    typed = st.text_input("Type the client's name to confirm", key=f"delete_client_confirm_{cid}")
    ok = typed.strip() == client["name"]
    if st.button("Delete client", type="primary", icon=":material/delete_forever:", disabled=not ok,
                 key=f"delete_client_{cid}"):
        result = eng.delete_client(cid, author=me)
        _ui.flash("Client deleted: " + "; ".join(_ui.md(x) for x in result.lines()) + ".")
        st.rerun()


def forget_tab(eng: Engine, me: User) -> None:
    st.caption("Erase one person on request: their leads in every client, scores, review labels, the cached "
               "profile, cached texts and vectors, Apify records and uploaded Apify files. The audit trail "
               "records that a person was erased, not who.")
    url = st.text_input("LinkedIn profile URL", placeholder="https://www.linkedin.com/in/some-person/", key="forget_url")
    sure = st.checkbox("I understand that this erases the person from every client and cannot be undone",
                       key="forget_sure")
    if st.button("Erase this person", type="primary", icon=":material/person_remove:",
                 disabled=not (sure and url.strip()), key="forget_go"):
        try:
            report = eng.forget_person(url.strip(), author=me)
        except (ICPError, ValueError) as exc:
            st.error(_ui.md(exc))
            return
        st.session_state.pop("forget_url", None)
        st.session_state.pop("forget_sure", None)
        if report.found:
            _ui.flash("Erased: " + "; ".join(_ui.md(x) for x in report.lines()) + ".")
        else:
            _ui.flash("Nothing was stored about this person.", "info")
        st.rerun()


def audit_tab(eng: Engine) -> None:
    rows = eng.audit_trail(300)
    if not rows:
        st.caption("Nothing recorded yet.")
        return
    st.dataframe(
        pd.DataFrame([{"when": r["at"], "who": r["actor"], "action": r["action"], "what": r["target_type"],
                       "id": r["target_id"], "details": json.dumps(r["details"], sort_keys=True) if r["details"] else ""}
                      for r in rows]),
        hide_index=True, width="stretch",
    )


def settings_tab(eng: Engine) -> None:
    s = eng.settings
    avail = s.available_providers
    rows = [
        {"setting": "Sign-in", "value": "identity provider (Streamlit OIDC)" if _oidc() else "local accounts"},
        {"setting": "Sign-in lasts", "value": f"{float(s.icp_session_days):g} days"},
        {"setting": "Listening on", "value": f"{st.get_option('server.address') or 'all interfaces'}:"
                                             f"{st.get_option('server.port')}"},
        {"setting": "Database", "value": "external (DATABASE_URL)" if avail.get("database") else "embedded"},
        {"setting": "Profile cache keeps profiles", "value": f"{s.profile_cache_ttl_days} days"},
        *({"setting": f"{name} key", "value": "set" if avail.get(key) else "not set"}
          for key, name in (("openai", "OpenAI"), ("apify", "Apify"), ("jina", "Jina"), ("cohere", "Cohere"),
                            ("fathom", "Fathom"))),
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption("Settings come from the environment, `.env` or `.streamlit/secrets.toml` and take effect on "
               "restart. Keys are never shown. To let a team reach the dashboard, see the README "
               "(*Team access*).")


def _oidc() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file
        return False


def main() -> None:
    me = _ui.require(Permission.MANAGE_USERS)
    eng: Engine = _ui.engine()
    st.title("Admin")
    _ui.show_flash()
    tabs = st.tabs(["Users", "Delete a client", "Erase a person", "Audit trail", "Settings"])
    with tabs[0]:
        users_tab(eng, me)
    with tabs[1]:
        me.require(Permission.DELETE_DATA)
        delete_client_tab(eng, me)
    with tabs[2]:
        forget_tab(eng, me)
    with tabs[3]:
        audit_tab(eng)
    with tabs[4]:
        settings_tab(eng)


main()
