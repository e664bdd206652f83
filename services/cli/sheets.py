"""Read and write the rows of a CSV or XLSX sheet (header row first)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

Row = dict[str, Any]


class SheetError(Exception):
    """The file cannot be read as a sheet; the message says why, in one line."""


def read_rows(path: Path) -> list[tuple[int, Row]]:
    """(line number in the file, cells by header) of every non-empty row."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv(path)
    if suffix == ".xlsx":
        return _xlsx(path)
    raise SheetError(f"{path.name}: must be a .csv or .xlsx file")


def _csv(path: Path) -> list[tuple[int, Row]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = [(reader.line_num, dict(row)) for row in reader]
            return [(n, row) for n, row in rows if any(str(v or "").strip() for v in row.values())]
    except UnicodeDecodeError as error:
        raise SheetError(f"{path.name}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except csv.Error as error:
        raise SheetError(f"{path.name}: not a CSV file ({error})") from None


def _xlsx(path: Path) -> list[tuple[int, Row]]:
    # Imported here: every service starts through this CLI, and openpyxl alone would add
    # 20 MB to each one's memory (measured), for `cfamon import` only.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise SheetError(f"{path.name}: not an .xlsx workbook ({type(error).__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = [str(cell).strip() if cell is not None else "" for cell in next(lines, ())]
        rows = []
        for number, cells in enumerate(lines, start=2):
            if any(c not in (None, "") for c in cells):
                rows.append((number, {h: c for h, c in zip(header, cells, strict=False) if h}))
        return rows
    finally:
        workbook.close()


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Row]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
