"""Accounts, sign-in, sessions, roles and cookies (icp_engine.auth) on a real Postgres."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from icp_engine import InvalidInput, LoginFailed, Permission, PermissionDenied, Role
from icp_engine.auth import (
    LOCK_MINUTES,
    MAX_FAILED_LOGINS,
    Auth,
    CookieSigner,
    Handoffs,
    hash_password,
    load_session_secret,
    verify_password,
)
from icp_engine.db import schema

PW = "correct horse battery staple"


@pytest.fixture()
def auth(db, settings):
    return Auth(db, settings)


def test_passwords_are_argon2id_and_never_stored_in_clear(auth, db, pg_dump):
    h = hash_password(PW)
    assert h.startswith("$argon2id$") and verify_password(h, PW) and not verify_password(h, PW + "x")
    assert not verify_password(None, PW) and not verify_password("not a hash", PW)
    auth.create_user("Dana", PW, Role.ADMIN, actor="test")
    auth.login("Dana", PW)
    assert PW not in pg_dump()


def test_login_wrong_name_or_password_and_case_insensitive_names(auth):
    auth.create_user("Dana", PW, Role.REVIEWER, actor="test")
    with pytest.raises(LoginFailed, match="Wrong user name or password") as wrong_pw:
        auth.login("Dana", "nope nope nope")
    with pytest.raises(LoginFailed, match="Wrong user name or password") as wrong_name:
        auth.login("Nobody", PW)
    assert str(wrong_pw.value) == str(wrong_name.value)  # the message does not tell which
    user, token = auth.login("  dana ", PW)
    assert user.username == "Dana" and user.role == Role.REVIEWER and len(token) >= 40
    assert auth.session_user(token) == user
    with pytest.raises(InvalidInput, match="taken"):
        auth.create_user("DANA", PW, actor="test")


def test_lock_out_after_repeated_failures(auth, db):
    auth.create_user("Dana", PW, actor="test")
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed, match="Wrong"):
            auth.login("Dana", "wrong password!")
    with pytest.raises(LoginFailed, match=f"locked .* {LOCK_MINUTES} minutes"):
        auth.login("Dana", PW)  # even the right password while locked
    with db.begin() as conn:
        conn.execute(schema.users.update().values(locked_until=sa.func.now() - sa.text("interval '1 second'")))
    assert auth.login("Dana", PW)[0].username == "Dana"


def test_sessions_end_on_logout_expiry_password_change_and_user_deletion(auth, db):
    admin = auth.create_user("Boss", PW, Role.ADMIN, actor="test")
    rita = auth.create_user("Rita", PW, Role.REVIEWER, actor=admin)
    _, t1 = auth.login("Rita", PW)
    _, t2 = auth.login("Rita", PW)
    assert auth.logout(t1) and auth.session_user(t1) is None and auth.session_user(t2) is not None
    with db.begin() as conn:  # only the token's hash is stored
        stored = conn.execute(sa.select(schema.user_sessions.c.token_sha256)).scalars().all()
        assert t2 not in stored and all(len(s) == 64 for s in stored)
        conn.execute(schema.user_sessions.update().values(expires_at=sa.func.now() - sa.text("interval '1 second'")))
    assert auth.session_user(t2) is None  # expired
    _, t3 = auth.login("Rita", PW)
    auth.set_password(rita.id, "another long password", actor=admin)
    assert auth.session_user(t3) is None
    _, t4 = auth.login("Rita", "another long password")
    auth.delete_user(rita.id, actor=admin)
    assert auth.session_user(t4) is None
    _, t5 = auth.login("Boss", PW)
    with db.begin() as conn:
        conn.execute(schema.user_sessions.update().values(expires_at=sa.func.now() - sa.text("interval '1 second'")))
    assert auth.purge_expired_sessions() == 1 and auth.session_user(t5) is None


def test_roles_and_last_admin_rules(auth):
    admin = auth.create_user("Boss", PW, Role.ADMIN, actor="test")
    rita = auth.create_user("Rita", PW, Role.REVIEWER, actor=admin)
    assert rita.can(Permission.REVIEW) and rita.can(Permission.EXPORT)
    assert not any(rita.can(p) for p in (Permission.DELETE_DATA, Permission.MANAGE_USERS, Permission.UPLOAD,
                                         Permission.RUN, Permission.EDIT_ICP, Permission.MANAGE_CLIENTS))
    assert all(admin.can(p) for p in Permission)
    with pytest.raises(PermissionDenied):
        auth.create_user("Mo", PW, actor=rita)
    with pytest.raises(PermissionDenied):
        auth.set_role(admin.id, Role.REVIEWER, actor=rita)
    with pytest.raises(InvalidInput, match="last admin"):
        auth.set_role(admin.id, Role.REVIEWER, actor=admin)
    with pytest.raises(InvalidInput, match="your own account"):
        auth.delete_user(admin.id, actor=admin)
    with pytest.raises(InvalidInput, match="at least 10"):
        auth.create_user("Mo", "short", actor=admin)
    auth.set_role(rita.id, Role.ADMIN, actor=admin)
    auth.set_role(admin.id, Role.REVIEWER, actor=auth.get_user(rita.id))  # now allowed: Rita is admin too


def test_first_admin_only_while_no_account_exists(auth):
    auth.create_first_admin("Owner", PW)
    with pytest.raises(PermissionDenied):
        auth.create_first_admin("Intruder", PW)
    assert [u["username"] for u in auth.list_users()] == ["Owner"]


def test_admin_from_settings(db, settings):
    s = settings.model_copy(update={"icp_admin_user": "boss", "icp_admin_password": None})
    with pytest.raises(InvalidInput, match="ICP_ADMIN_PASSWORD"):
        Auth(db, s).ensure_admin_from_settings()
    from pydantic import SecretStr

    s = settings.model_copy(update={"icp_admin_user": "boss", "icp_admin_password": SecretStr(PW)})
    user = Auth(db, s).ensure_admin_from_settings()
    assert user.role == Role.ADMIN
    # an existing account is left alone (its password is not reset by the environment)
    s2 = settings.model_copy(update={"icp_admin_user": "Boss", "icp_admin_password": SecretStr("other password!")})
    assert Auth(db, s2).ensure_admin_from_settings().id == user.id
    Auth(db, s2).login("boss", PW)
    assert Auth(db, settings).ensure_admin_from_settings() is None


def test_identity_provider_accounts(db, settings):
    s = settings.model_copy(update={"icp_admin_user": "owner@agency.example"})
    auth = Auth(db, s)
    assert auth.user_for_identity("someone@else.example") is None
    owner = auth.user_for_identity("Owner@Agency.example")
    assert owner.role == Role.ADMIN and auth.user_for_identity("owner@agency.example") == owner
    auth.create_user("rita@agency.example", None, Role.REVIEWER, actor=owner)
    assert auth.user_for_identity("rita@agency.example").role == Role.REVIEWER
    with pytest.raises(LoginFailed):  # an identity-provider account has no local password
        auth.login("rita@agency.example", "")


def test_cookie_signing_and_one_time_handoffs(auth, settings, tmp_path):
    signer = CookieSigner(b"k" * 32)
    value = signer.sign("tok123")
    assert signer.unsign(value) == "tok123"
    assert signer.unsign(value[:-1] + ("A" if value[-1] != "A" else "B")) is None
    assert CookieSigner(b"x" * 32).unsign(value) is None and signer.unsign(None) is None
    key_settings = settings.model_copy(update={"icp_data_dir": tmp_path, "icp_session_secret": None})
    key = load_session_secret(key_settings)
    assert len(key) == 32 and load_session_secret(key_settings) == key
    assert oct((tmp_path / "session-secret").stat().st_mode & 0o777) == "0o600"

    h = Handoffs(ttl_s=0.2)
    code = h.issue("signed-value", 3600)
    assert h.redeem(code) == ("signed-value", 3600) and h.redeem(code) is None  # once only
    late = h.issue("v", 10)
    time.sleep(0.3)
    assert h.redeem(late) is None and h.redeem("made-up") is None

    auth.create_user("Dana", PW, actor="test")
    user, token = auth.login("Dana", PW)
    cookie = auth.signer.sign(token)
    assert auth.user_from_cookie(cookie) == (user, token)
    assert auth.user_from_cookie(token) is None  # an unsigned token is refused
    auth.logout(token)
    assert auth.user_from_cookie(cookie) is None


def test_account_changes_are_audited_without_secrets(auth, db):
    admin = auth.create_user("Boss", PW, Role.ADMIN, actor="test")
    rita = auth.create_user("Rita", PW, actor=admin)
    auth.set_role(rita.id, Role.ADMIN, actor=admin)
    auth.set_password(rita.id, "a brand new password", actor=admin)
    auth.delete_user(rita.id, actor=admin)
    with db.connect() as conn:
        rows = conn.execute(sa.select(schema.audit_log).order_by(schema.audit_log.c.id)).mappings().all()
    assert [r["action"] for r in rows] == ["user.create", "user.create", "user.role", "user.password", "user.delete"]
    assert all(r["target_id"] == rita.id for r in rows[1:]) and rows[1]["actor_id"] == admin.id
    text = repr([dict(r) for r in rows])
    assert PW not in text and "a brand new password" not in text
