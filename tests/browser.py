"""Debian's Chromium for the browser tests: installed with apt when missing (the tests' own
set-up, as the brief asks), driven by Playwright, which never downloads a browser here."""

from __future__ import annotations

from tests.debian import install

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
    return install("chromium", "chromium")
