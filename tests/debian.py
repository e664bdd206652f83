"""Debian packages the tests need (Chromium, Prometheus's promtool), fetched by the tests'
own set-up with apt when missing, as root or through password-less sudo."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CACHE = Path.home() / ".cache" / "cfa-monitor"


def _as_root(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return command
    if shutil.which("sudo") is None:
        raise RuntimeError(f"`{' '.join(command)}` needs root: run it as root")
    return ["sudo", "-n", *command]


def _apt(*args: str, timeout: float = 900) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(
        _as_root(["apt-get", *args]), check=True, env=env, timeout=timeout, stdout=subprocess.DEVNULL
    )


def install(package: str, command: str) -> str:
    """The path of `command`, installing `package` first if it is not on PATH."""
    found = shutil.which(command)
    if found:
        return found
    _apt("update", "-qq", timeout=600)
    _apt("install", "-y", "-qq", "--no-install-recommends", package)
    found = shutil.which(command)
    if not found:
        raise RuntimeError(f"apt-get installed {package}, but {command} is not on PATH")
    return found


def unpacked(package: str) -> Path:
    """`package`'s files unpacked (not installed: nothing runs, no service starts) into a
    folder of the user's cache, downloaded once with `apt-get download`."""
    folder = CACHE / f"deb-{package}"
    done = folder / ".unpacked"
    if done.exists():
        return folder
    downloads = CACHE / "deb-downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    download = ["apt-get", "download", "-qq", package]
    if subprocess.run(download, cwd=downloads, check=False, capture_output=True).returncode != 0:
        _apt("update", "-qq", timeout=600)  # a fresh machine has no package lists yet
        subprocess.run(download, cwd=downloads, check=True, capture_output=True, timeout=600)
    (deb,) = sorted(downloads.glob(f"{package}_*.deb"))[-1:]
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(folder)], check=True)
    deb.unlink()
    done.touch()
    return folder


def prometheus_bin(command: str) -> Path:
    """Debian's `promtool` or `prometheus` (package prometheus), unpacked into the cache."""
    path = unpacked("prometheus") / "usr" / "bin" / command
    if not path.is_file():
        raise RuntimeError(f"Debian's prometheus package holds no usr/bin/{command}")
    return path
