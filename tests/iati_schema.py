"""The official IATI 2.03 activity schema, for validating the export: the schema files ship
in the sdist of pyIATI on PyPI (iati/resources/standard/2-03/schemas/), which the test set-up
downloads once (not installed: only its .xsd files are read)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

from lxml import etree

PACKAGE = "pyIATI==0.4.1"
MEMBER = "pyIATI-0.4.1/iati/resources/standard/2-03/schemas/"
CACHE = Path.home() / ".cache" / "cfa-monitor" / "iati-2.03"


def activity_schema() -> etree.XMLSchema:
    schema = CACHE / "iati-activities-schema.xsd"
    if not schema.exists():
        download = CACHE.parent / "download"
        download.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--dest",
                str(download),
                PACKAGE,
            ],
            check=True,
            timeout=300,
        )
        [sdist] = download.glob("pyIATI-0.4.1.tar.gz")
        CACHE.mkdir(parents=True, exist_ok=True)
        with tarfile.open(sdist) as archive:
            for member in archive.getmembers():
                if member.name.startswith(MEMBER) and member.name.endswith(".xsd"):
                    member.name = Path(member.name).name
                    archive.extract(member, CACHE, filter="data")
    return etree.XMLSchema(etree.parse(str(schema)))
