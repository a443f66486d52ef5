"""The CLI ends its process without Python's module teardown, but as Python's own exit would:
threads joined, ``atexit`` handlers run, streams flushed, the exit status kept (issue 15)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_exit_now_joins_threads_runs_atexit_flushes_and_keeps_the_status(tmp_path):
    marker = tmp_path / "thread-done"
    out = _run(f"""
        import atexit, sys, threading, time
        from pathlib import Path
        from icp_engine.cli import _exit_now

        def late():
            time.sleep(0.5)
            Path({str(marker)!r}).write_text("done")

        threading.Thread(target=late).start()  # not a daemon: joined before the process ends
        atexit.register(lambda: print("atexit ran", flush=False))
        sys.stdout.write("buffered line")  # no newline, no flush: must still arrive
        _exit_now(3)
    """)
    assert out.returncode == 3, out.stderr
    assert marker.read_text() == "done"
    assert "buffered line" in out.stdout and "atexit ran" in out.stdout


def test_exit_now_with_a_message_prints_it_and_exits_1():
    out = _run("""
        from icp_engine.cli import _exit_now
        _exit_now("something went wrong")
    """)
    assert out.returncode == 1
    assert "something went wrong" in out.stderr


def test_the_cli_keeps_its_exit_status():
    ok = subprocess.run([sys.executable, "-m", "icp_engine", "--help"], capture_output=True, text=True, cwd=ROOT,
                        timeout=120)
    assert ok.returncode == 0 and "Usage" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "icp_engine", "no-such-command"], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert bad.returncode == 2 and "No such command" in bad.stderr
