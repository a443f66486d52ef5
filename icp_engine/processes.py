"""Identity and liveness of worker processes (run leases, Apify run owners, pgserver handles).

An owner id is ``"<hostname>:<pid>:<random hex>"``: readable in the database, unique per process
start, and enough to tell at once that a process *on this host* has died (a SIGKILLed worker),
while workers on other hosts are judged by their heartbeat/age only.
"""

from __future__ import annotations

import os
import socket
import uuid


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists (a zombie counts as alive until reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def new_owner_id() -> str:
    """``host:pid:8-hex`` for this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def parse_owner_id(owner_id: str) -> tuple[str, int] | None:
    """``(host, pid)`` of an owner id, or None when it is not of the ``host:pid:hex`` form."""
    try:
        host, pid, _ = owner_id.rsplit(":", 2)
        return host, int(pid)
    except (ValueError, AttributeError):
        return None


def owner_dead_on_this_host(owner_id: str) -> bool:
    """True when ``owner_id`` names another process of this host that no longer exists.

    False for this process, for other hosts, and for ids of another form (no verdict).
    """
    parsed = parse_owner_id(owner_id)
    if parsed is None:
        return False
    host, pid = parsed
    if host != socket.gethostname() or pid == os.getpid():
        return False
    return not pid_alive(pid)
