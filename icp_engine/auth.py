"""Who may use the dashboard: local accounts, roles, server-side sessions, signed cookies.

Accounts live in Postgres (``users``; SQL in :mod:`icp_engine.db.users`). Passwords are hashed
with argon2id (argon2-cffi's ``PasswordHasher`` defaults, RFC 9106); nothing else about a password
is stored or logged. A sign-in creates a session row holding the SHA-256 of a random 256-bit
token; the browser keeps the token in a cookie signed with :class:`CookieSigner` (itsdangerous,
HMAC-SHA1 over the value with a server key) and marked HttpOnly / SameSite=Strict by the
dashboard's cookie route (``app.py``). Signing out deletes the row, so a copied cookie is dead.

Roles (:class:`~icp_engine.enums.Role`): ``admin`` may do everything (users, clients, ICPs,
uploads, runs, deletion, settings); ``reviewer`` reviews and exports (:data:`ROLE_PERMISSIONS`).

The first account: ``ICP_ADMIN_USER`` / ``ICP_ADMIN_PASSWORD`` create it on start
(:meth:`Auth.ensure_admin_from_settings`), or the dashboard's "create the admin account" screen
does (:meth:`Auth.create_first_admin`, only while no account exists). With Streamlit's OIDC login
(an ``[auth]`` block in ``.streamlit/secrets.toml``) the identity provider's e-mail is mapped to
an account of that name (:meth:`Auth.user_for_identity`).

Every change to an account is written to the audit trail (:mod:`icp_engine.db.audit`) in the
same transaction. This module never imports streamlit.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, Signer

from .config import Settings
from .db import Database
from .db import audit as audit_sql
from .db import users as users_sql
from .db._util import NOW
from .enums import Role
from .errors import InvalidInput, LoginFailed, NotFound, PermissionDenied

__all__ = [
    "COOKIE_NAME", "HANDOFFS", "MIN_PASSWORD_LENGTH", "ROLE_PERMISSIONS", "Auth", "CookieSigner", "Handoffs",
    "Permission", "User", "hash_password", "normalise_username", "verify_password",
]

#: Name of the browser cookie that carries the signed session token.
COOKIE_NAME = "icp_session"
#: Shortest password accepted for a new account or a password change.
MIN_PASSWORD_LENGTH = 10
#: Consecutive failed sign-ins after which an account is locked for :data:`LOCK_MINUTES`.
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 5
_SECRET_FILE = "session-secret"
_MAX_USERNAME = 120


class Permission(StrEnum):
    """Actions the dashboard guards by role."""

    MANAGE_USERS = "manage_users"
    MANAGE_CLIENTS = "manage_clients"
    EDIT_ICP = "edit_icp"
    UPLOAD = "upload"
    RUN = "run"
    REVIEW = "review"
    EXPORT = "export"
    DELETE_DATA = "delete_data"
    SETTINGS = "settings"


#: What each role may do. Issue 12: admin - users, clients, ICPs, deletion, settings (and the
#: rest); reviewer - review and export.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.REVIEWER: frozenset({Permission.REVIEW, Permission.EXPORT}),
}


@dataclass(frozen=True)
class User:
    """A signed-in account: ``id``, ``username`` (as typed when created), ``role``."""

    id: int
    username: str
    role: Role

    def can(self, permission: Permission) -> bool:
        """True when this account's role grants ``permission``."""
        return permission in ROLE_PERMISSIONS.get(self.role, frozenset())

    def require(self, permission: Permission) -> None:
        """Raise :class:`PermissionDenied` unless the role grants ``permission``."""
        if not self.can(permission):
            raise PermissionDenied(f"the {self.role.value} role may not do this ({permission.value})")

    @property
    def is_admin(self) -> bool:
        """True for the ``admin`` role."""
        return self.role == Role.ADMIN


#: Who did something, for audit entries and ``created_by`` columns: an account or a name such
#: as ``"cli"``.
Actor = User | str


def actor_fields(actor: Actor | None) -> tuple[str, int | None]:
    """``(name, account id or None)`` of an actor (None -> ``("system", None)``)."""
    if isinstance(actor, User):
        return actor.username, actor.id
    return (actor or "system"), None


def _user(row: dict[str, Any]) -> User:
    return User(id=int(row["id"] if "id" in row else row["user_id"]), username=str(row["username"]),
                role=Role(row["role"]))


# --------------------------------------------------------------------------- passwords

_hasher = PasswordHasher()
# verified against when the name is unknown, so a wrong name costs as long as a wrong password;
# made on first use (an argon2 hash costs ~0.15 s, paid by every process that imports the engine)
_dummy: list[str] = []
_dummy_lock = threading.Lock()


def _dummy_hash() -> str:
    with _dummy_lock:
        if not _dummy:
            _dummy.append(_hasher.hash(secrets.token_urlsafe(16)))
        return _dummy[0]


def hash_password(password: str) -> str:
    """argon2id hash (PHC string ``$argon2id$v=19$m=65536,t=3,p=4$...``) of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; False for a mismatch or an unusable hash."""
    try:
        return bool(_hasher.verify(password_hash or _dummy_hash(), password)) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> None:
    """Raise :class:`InvalidInput` unless ``password`` is acceptable for an account
    (at least :data:`MIN_PASSWORD_LENGTH` characters, not only spaces)."""
    if not password or len(password) < MIN_PASSWORD_LENGTH or not password.strip():
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def normalise_username(username: str) -> tuple[str, str]:
    """``(name as shown, lower-cased key)`` for a typed user name; raises :class:`InvalidInput`
    for an empty name, one longer than 120 characters or one with control characters."""
    name = " ".join((username or "").split())
    if not name:
        raise InvalidInput("a user name is required")
    if len(name) > _MAX_USERNAME or any(ord(ch) < 32 for ch in name):
        raise InvalidInput("a user name has at most 120 printable characters")
    return name, name.casefold()


def _token_sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- cookies


def load_session_secret(settings: Settings) -> bytes:
    """The key that signs session cookies: ``ICP_SESSION_SECRET`` when set, else the random key in
    ``<ICP_DATA_DIR>/session-secret`` (32 bytes, created with mode 0600 on first use)."""
    if settings.icp_session_secret is not None and settings.icp_session_secret.get_secret_value():
        return settings.icp_session_secret.get_secret_value().encode("utf-8")
    path = Path(settings.icp_data_dir) / _SECRET_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex())
    return key


class CookieSigner:
    """Signs session tokens for the cookie and checks them (itsdangerous ``Signer``, salt
    ``icp-session``). A cookie that was not signed with this key is rejected without a database
    query."""

    def __init__(self, secret: bytes):
        self._signer = Signer(secret, salt="icp-session")

    def sign(self, token: str) -> str:
        """The cookie value for a session token."""
        return self._signer.sign(token.encode("ascii")).decode("ascii")

    def unsign(self, value: str | None) -> str | None:
        """The token in a cookie value, or None when the value is missing or its signature is bad."""
        if not value:
            return None
        try:
            return self._signer.unsign(value.encode("latin-1")).decode("ascii")
        except (BadSignature, UnicodeError):
            return None


class Handoffs:
    """One-time codes that carry a fresh session token from a dashboard session to the cookie route.

    After a sign-in the dashboard (Python) holds the token; the browser must get it as an HttpOnly
    cookie, which only an HTTP response can set. :meth:`Auth.handoff` issues a code for the signed
    cookie value; the page posts the code to the cookie route (``app.py``), which calls
    :meth:`redeem` and sets the cookie. So the token itself never reaches the page's scripts.
    Codes are random (256 bits), work once and expire after ``ttl_s`` seconds; they live in this
    process's memory, which is where the route runs (the Streamlit server). Thread-safe.
    """

    def __init__(self, ttl_s: float = 120.0):
        self.ttl_s = ttl_s
        self._codes: dict[str, tuple[str, int, float]] = {}
        self._lock = threading.Lock()

    def issue(self, cookie_value: str, max_age_s: int) -> str:
        """A new code for a signed cookie value (:meth:`CookieSigner.sign`) and its lifetime in seconds."""
        code = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            for c, (_, _, exp) in list(self._codes.items()):
                if exp < now:
                    del self._codes[c]
            self._codes[code] = (cookie_value, int(max_age_s), now + self.ttl_s)
        return code

    def redeem(self, code: str | None) -> tuple[str, int] | None:
        """``(cookie value, max age in seconds)`` of an unexpired, unused code (the code is used up),
        else None."""
        if not code:
            return None
        with self._lock:
            entry = self._codes.pop(code, None)
        if entry is None or entry[2] < time.monotonic():
            return None
        return entry[0], entry[1]


#: The process-wide hand-off codes (the dashboard issues, ``app.py``'s cookie route redeems).
HANDOFFS = Handoffs()


# --------------------------------------------------------------------------- the service


class Auth:
    """Accounts, sign-in and sessions on one database.

    ``Auth(db, settings)``. Raises :class:`LoginFailed` (sign-in refused), :class:`InvalidInput`
    (bad name or password for a new account, taken name, removing the last admin),
    :class:`NotFound` (unknown account id) and :class:`PermissionDenied` (the acting account may
    not manage users).
    """

    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings
        self._signer: CookieSigner | None = None

    # ------------------------------------------------------------ cookies
    @property
    def signer(self) -> CookieSigner:
        """The cookie signer (key loaded on first use, see :func:`load_session_secret`)."""
        if self._signer is None:
            self._signer = CookieSigner(load_session_secret(self.settings))
        return self._signer

    @property
    def session_max_age_s(self) -> int:
        """Lifetime of a sign-in in seconds (``ICP_SESSION_DAYS``, default 14 days)."""
        return int(float(self.settings.icp_session_days) * 86400)

    # ------------------------------------------------------------ accounts
    def has_users(self) -> bool:
        """True once at least one account exists."""
        with self.db.connect() as conn:
            return users_sql.count_users(conn) > 0

    def list_users(self) -> list[dict[str, Any]]:
        """Accounts by name: ``id, username, role, last_login_at, created_at, updated_at,
        locked_until, sessions`` (no password hashes)."""
        with self.db.connect() as conn:
            return users_sql.list_users(conn)

    def get_user(self, user_id: int) -> User:
        """An account by id; raises :class:`NotFound`."""
        with self.db.connect() as conn:
            row = users_sql.user_by_id(conn, user_id)
        if row is None:
            raise NotFound(f"no user {user_id}")
        return _user(row)

    def _insert(self, conn: Any, username: str, password: str | None, role: Role | str, actor: Actor | None,
                action: str = "user.create") -> User:
        name, key = normalise_username(username)
        role = Role(role)
        if password is not None:
            check_new_password(password)
        if users_sql.user_by_key(conn, key) is not None:
            raise InvalidInput(f"the user name {name!r} is taken")
        row = users_sql.insert_user(conn, name, key, role.value, hash_password(password) if password else None)
        who, who_id = actor_fields(actor)
        user = _user(row)
        audit_sql.record(conn, actor=who, actor_id=who_id, action=action,
                         target_type="user", target_id=user.id, details={"role": role.value})
        return user

    def create_user(self, username: str, password: str | None, role: Role | str = Role.REVIEWER, *,
                    actor: Actor | None = None) -> User:
        """Create an account (``password`` None: OIDC sign-in only). An acting :class:`User` must
        be an admin; a string actor (``"cli"``) is trusted."""
        if isinstance(actor, User):
            actor.require(Permission.MANAGE_USERS)
        with self.db.begin() as conn:
            return self._insert(conn, username, password, role, actor)

    def create_first_admin(self, username: str, password: str | None) -> User:
        """Create the admin account of a fresh installation; raises :class:`PermissionDenied` once
        any account exists (checked under a table lock, so two first visitors cannot both win)."""
        with self.db.begin() as conn:
            users_sql.lock_users(conn)
            if users_sql.count_users(conn) > 0:
                raise PermissionDenied("an admin account already exists: sign in instead")
            user = self._insert(conn, username, password, Role.ADMIN, None, action="user.create_first_admin")
            audit_sql.record(conn, actor=user.username, actor_id=user.id, action="user.bootstrap",
                             target_type="user", target_id=user.id)
            return user

    def ensure_admin_from_settings(self) -> User | None:
        """Create the admin named by ``ICP_ADMIN_USER`` with ``ICP_ADMIN_PASSWORD`` when no account
        of that name exists (an existing account is left as it is: change its password in the
        dashboard or with ``python -m icp_engine users set-password``). Returns the account, or
        None when the variables are not set. Raises :class:`InvalidInput` for a password shorter
        than :data:`MIN_PASSWORD_LENGTH`."""
        name = (self.settings.icp_admin_user or "").strip()
        secret = self.settings.icp_admin_password
        if not name:
            return None
        _, key = normalise_username(name)
        with self.db.begin() as conn:
            users_sql.lock_users(conn)
            row = users_sql.user_by_key(conn, key)
            if row is not None:
                return _user(row)
            if secret is None or not secret.get_secret_value():
                raise InvalidInput("ICP_ADMIN_USER is set but ICP_ADMIN_PASSWORD is not")
            return self._insert(conn, name, secret.get_secret_value(), Role.ADMIN, "ICP_ADMIN_USER")

    def set_password(self, user_id: int, password: str, *, actor: Actor | None = None) -> None:
        """Change an account's password and end its sessions. An acting :class:`User` must be an
        admin or the account itself."""
        if isinstance(actor, User) and actor.id != user_id:
            actor.require(Permission.MANAGE_USERS)
        check_new_password(password)
        with self.db.begin() as conn:
            if not users_sql.update_user(conn, user_id, password_hash=hash_password(password), failed_logins=0,
                                         locked_until=None):
                raise NotFound(f"no user {user_id}")
            ended = users_sql.delete_sessions_of(conn, user_id)
            who, who_id = actor_fields(actor)
            audit_sql.record(conn, actor=who, actor_id=who_id, action="user.password", target_type="user",
                             target_id=user_id, details={"sessions_ended": ended})

    def set_role(self, user_id: int, role: Role | str, *, actor: Actor | None = None) -> None:
        """Change an account's role (its sessions end); the last admin cannot be demoted."""
        if isinstance(actor, User):
            actor.require(Permission.MANAGE_USERS)
        role = Role(role)
        with self.db.begin() as conn:
            users_sql.lock_users(conn)
            row = users_sql.user_by_id(conn, user_id)
            if row is None:
                raise NotFound(f"no user {user_id}")
            if row["role"] == role.value:
                return
            if row["role"] == Role.ADMIN and users_sql.count_admins(conn) <= 1:
                raise InvalidInput("the last admin cannot lose the admin role; make someone else admin first")
            users_sql.update_user(conn, user_id, role=role.value)
            users_sql.delete_sessions_of(conn, user_id)
            who, who_id = actor_fields(actor)
            audit_sql.record(conn, actor=who, actor_id=who_id, action="user.role", target_type="user",
                             target_id=user_id, details={"from": row["role"], "to": role.value})

    def delete_user(self, user_id: int, *, actor: Actor | None = None) -> None:
        """Delete an account and its sessions (its review labels keep the name they were stored
        with). The last admin cannot be deleted, nor can an admin delete their own account."""
        if isinstance(actor, User):
            actor.require(Permission.MANAGE_USERS)
            if actor.id == user_id:
                raise InvalidInput("you cannot delete your own account")
        with self.db.begin() as conn:
            users_sql.lock_users(conn)
            row = users_sql.user_by_id(conn, user_id)
            if row is None:
                raise NotFound(f"no user {user_id}")
            if row["role"] == Role.ADMIN and users_sql.count_admins(conn) <= 1:
                raise InvalidInput("the last admin cannot be deleted")
            users_sql.delete_user(conn, user_id)
            who, who_id = actor_fields(actor)
            audit_sql.record(conn, actor=who, actor_id=who_id, action="user.delete", target_type="user",
                             target_id=user_id, details={"role": row["role"]})

    # ------------------------------------------------------------ sign-in and sessions
    def _new_session(self, conn: Any, user_id: int) -> str:
        token = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + timedelta(seconds=self.session_max_age_s)
        users_sql.insert_session(conn, user_id, _token_sha(token), expires)
        users_sql.update_user(conn, user_id, last_login_at=NOW, failed_logins=0, locked_until=None)
        return token

    def login(self, username: str, password: str) -> tuple[User, str]:
        """Check a name and password; on success return ``(account, session token)``.

        Raises :class:`LoginFailed` with "wrong user name or password" (the same sentence whether
        the name exists or not; the check costs the same time), or "locked" after
        :data:`MAX_FAILED_LOGINS` consecutive failures (for :data:`LOCK_MINUTES` minutes).
        """
        try:
            _, key = normalise_username(username)
        except InvalidInput:
            raise LoginFailed("Wrong user name or password.") from None
        with self.db.begin() as conn:
            row = users_sql.user_by_key(conn, key, for_update=True)
            ok = verify_password(row["password_hash"] if row else None, password or "")
            if row is None:
                raise LoginFailed("Wrong user name or password.")
            if row["locked_until"] is not None and row["locked_until"] > datetime.now(UTC):
                raise LoginFailed(f"This account is locked after {MAX_FAILED_LOGINS} failed sign-ins; try again "
                                  f"in {LOCK_MINUTES} minutes or ask an admin to set a new password.")
            token = None
            if not ok:  # count the failure (committed: the error is raised after the transaction)
                failed = int(row["failed_logins"]) + 1
                if failed >= MAX_FAILED_LOGINS:
                    users_sql.update_user(conn, row["id"], failed_logins=0,
                                          locked_until=datetime.now(UTC) + timedelta(minutes=LOCK_MINUTES))
                else:
                    users_sql.update_user(conn, row["id"], failed_logins=failed)
            else:
                if _hasher.check_needs_rehash(row["password_hash"]):
                    users_sql.update_user(conn, row["id"], password_hash=hash_password(password))
                token = self._new_session(conn, row["id"])
                audit_sql.record(conn, actor=row["username"], actor_id=row["id"], action="session.login",
                                 target_type="user", target_id=row["id"])
        if token is None:
            raise LoginFailed("Wrong user name or password.")
        return _user(row), token

    def session_for(self, user: User) -> str:
        """A new session token for an account already authenticated elsewhere (OIDC)."""
        with self.db.begin() as conn:
            return self._new_session(conn, user.id)

    def session_user(self, token: str | None) -> User | None:
        """The account of an unexpired session token, or None (unknown, expired or signed out)."""
        if not token:
            return None
        with self.db.begin() as conn:
            row = users_sql.live_session(conn, _token_sha(token))
            if row is None:
                return None
            last = row["last_seen_at"]
            if last is None or (datetime.now(UTC) - last).total_seconds() > 300:
                users_sql.touch_session(conn, row["session_id"])
        return _user(row)

    def handoff(self, token: str) -> str:
        """A one-time code (:data:`HANDOFFS`) for the cookie route to set this session's cookie."""
        return HANDOFFS.issue(self.signer.sign(token), self.session_max_age_s)

    def user_from_cookie(self, cookie_value: str | None) -> tuple[User, str] | None:
        """``(account, token)`` for a signed cookie value of a live session, else None."""
        token = self.signer.unsign(cookie_value)
        user = self.session_user(token)
        return (user, token) if user and token else None

    def logout(self, token: str | None) -> bool:
        """End a session (delete its row); True when it was live."""
        if not token:
            return False
        with self.db.begin() as conn:
            row = users_sql.live_session(conn, _token_sha(token))
            gone = users_sql.delete_session(conn, _token_sha(token))
            if row is not None:
                audit_sql.record(conn, actor=row["username"], actor_id=row["user_id"], action="session.logout",
                                 target_type="user", target_id=row["user_id"])
        return gone

    def purge_expired_sessions(self) -> int:
        """Delete expired session rows; returns how many."""
        with self.db.begin() as conn:
            return users_sql.purge_expired_sessions(conn)

    def user_for_identity(self, email: str | None) -> User | None:
        """The account for an identity-provider e-mail (Streamlit OIDC): the account of that name;
        else, when the e-mail is ``ICP_ADMIN_USER``, a new admin account without a password; else
        None (an admin must create the account first)."""
        if not email:
            return None
        _, key = normalise_username(email)
        with self.db.begin() as conn:
            row = users_sql.user_by_key(conn, key)
            if row is not None:
                return _user(row)
            admin = (self.settings.icp_admin_user or "").strip()
            if admin and normalise_username(admin)[1] == key:
                return self._insert(conn, email, None, Role.ADMIN, "ICP_ADMIN_USER")
        return None
