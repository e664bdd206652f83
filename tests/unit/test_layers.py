"""The layers of the code, as the README's Layout names them: the domain imports no adapter,
no local-stack tooling and no service; shared code imports no service; the services never
start the local stack."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports_of(package: str) -> dict[str, set[str]]:
    """Every module of `package` (a folder under the repository) and the modules it imports."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("shared/domain", ("shared.adapters", "shared.stack", "services")),
        ("shared", ("services",)),
        ("services/intake", ("shared.stack",)),
        ("services/aggregator", ("shared.stack",)),
        ("services/notifier", ("shared.stack",)),
        ("services/report", ("shared.stack",)),
    ],
)
def test_a_layer_imports_nothing_above_it(package: str, forbidden: tuple[str, ...]) -> None:
    crossings = {
        module: sorted(name for name in names if name.startswith(forbidden))
        for module, names in imports_of(package).items()
    }
    assert {module: names for module, names in crossings.items() if names} == {}


@pytest.mark.parametrize("service", ["intake", "aggregator", "notifier"])
def test_a_service_loads_the_pack_writers_only_when_a_pack_is_made(service: str) -> None:
    """reportlab and openpyxl are ~37 MB of a service's memory: a service that makes no pack
    never imports them (the aggregator's RSS target is under 200 MB)."""
    code = (
        f"import sys, services.{service}.app; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'reportlab', 'openpyxl', 'PIL'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"
