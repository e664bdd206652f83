"""Running `cfamon` as a user does, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CFAMON = [sys.executable, "-m", "services.cli.main"]


def cfamon(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CFAMON, *args],
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def projects_add_args(**changes: str) -> list[str]:
    """`projects add` arguments of a valid project; keyword names are options without `--`."""
    options = {
        "id": "PK-OK-01",
        "title": "Reintegration support",
        "implementer": "ICMPD",
        "countries": "PAK,AFG",
        "action-points": "3.1,3.2",
        "start": "2025-01-01",
        "end": "2027-12-31",
        **{name.replace("_", "-"): value for name, value in changes.items()},
    }
    return ["projects", "add", *[part for name, value in options.items() for part in (f"--{name}", value)]]
