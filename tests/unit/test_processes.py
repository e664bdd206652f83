"""Server processes: stopped with their whole group, and gone when their parent is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from shared.stack.processes import ManagedProcess

# A stand-in server: it waits for a signal, as a server waits for requests (the test ends it).
SLEEPER = [sys.executable, "-c", "import signal; signal.pause()"]


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_stop_ends_the_process(tmp_path: Path) -> None:
    process = ManagedProcess("sleeper", SLEEPER, tmp_path / "log")
    process.start()
    pid = process.pid
    assert pid is not None and process.running()
    process.stop(grace=5)
    assert not process.running() and _gone(pid)


def test_a_server_dies_with_its_killed_parent(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    parent_code = (
        "import sys; from pathlib import Path; from shared.stack.processes import ManagedProcess;"
        f"p = ManagedProcess('sleeper', {SLEEPER!r}, Path({str(tmp_path / 'log')!r})); p.start();"
        f"Path({str(pid_file)!r}).write_text(str(p.pid)); import signal; signal.pause()"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], cwd=Path(__file__).resolve().parents[2])
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline and parent.poll() is None
            time.sleep(0.05)
        child = int(pid_file.read_text())
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert _gone(child)
    finally:
        if parent.poll() is None:
            parent.kill()
