"""Debian's Chromium for the browser tests: installed with apt when missing (the tests' own
set-up, as the brief asks), driven by Playwright, which never downloads a browser here."""

from __future__ import annotations

import os
import shutil
import subprocess

CHROMIUM_ARGS = [
    # The machine's network is closed: without these, Chromium tries Google's hosts at start.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    """The path of Debian's chromium, installing the package first if it is missing."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0 and shutil.which("sudo") is None:
        raise RuntimeError(
            "chromium is missing and cannot be installed: run `apt-get install chromium` as root"
        )
    apt = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*apt, "apt-get", "update", "-qq"], check=True, env=env, timeout=600)
    subprocess.run(
        [*apt, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
        check=True,
        env=env,
        timeout=900,
        stdout=subprocess.DEVNULL,
    )
    found = shutil.which("chromium")
    if not found:
        raise RuntimeError("apt-get installed chromium, but it is not on PATH")
    return found
