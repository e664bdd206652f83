"""How the notifier writes for people, in one place: figures at the precision they are counted
in, days and moments in one format, groups by the names their members use. Pure."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal

from babel.numbers import format_decimal
from pydantic import BaseModel

from shared.domain.catalog import TWG_NAMES
from shared.domain.status import STATUS_NAMES
from shared.i18n import Messages, messages

ENGLISH = messages("en")

# The receivers by their names: the Reference Group, and the Thematic Working Groups as the
# Ministerial Declaration of 2024 sets them up (shared.domain.catalog.TWG_NAMES).
GROUP_NAMES: dict[str, str] = {"reference_group": "Reference Group", **TWG_NAMES}
PERCENT_UNITS = frozenset({"%", "percent", "per cent", "percentage", "percentages"})
WIDE = Context(prec=400)  # room for every digit of the largest float


def group_name(receiver: str) -> str:
    """reference_group -> Reference Group, legal_pathways -> Thematic Working Group on ..."""
    return GROUP_NAMES.get(receiver, receiver.replace("_", " "))


def _rounded(value: float, places: int) -> Decimal:
    """Half up, as people round (255.5 -> 256), never a negative zero."""
    exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP, WIDE)
    return exact.copy_abs() if exact.is_zero() else exact


def is_percent(unit: str) -> bool:
    return unit.strip().lower() in PERCENT_UNITS


def number(value: float, unit: str = "", words: Messages = ENGLISH) -> str:
    """A figure without its unit: a percentage to one decimal at most (42%, 42.5%); anything
    else counts things (people, inspectors, agreements), so it is whole, with thousands
    separators as the language writes them (12,500; 12 500)."""
    if not math.isfinite(value):
        return str(value)
    if is_percent(unit):
        return format_decimal(_rounded(value, 1), format="#,##0.#", locale=words.locale) + "%"
    return format_decimal(_rounded(value, 0), format="#,##0", locale=words.locale)


def quantity(value: float, unit: str, words: Messages = ENGLISH) -> str:
    """A figure with its unit: 137 inspectors, 12,500 people, 42%."""
    if is_percent(unit):
        return number(value, unit, words)
    return f"{number(value, '', words)} {unit.strip()}".rstrip()


def ratio(value: float) -> str:
    """Two decimals: 0.54, 1.00."""
    return str(_rounded(value, 2)) if math.isfinite(value) else str(value)


def day_of(value: object) -> date | None:
    """The day of a date, a datetime (its UTC day) or an ISO 8601 string of either, as the
    alerts' annotations hold them; None for anything else."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo is not None else value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return day_of(datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


NAMES: dict[str, str] = {str(status): name for status, name in STATUS_NAMES.items()}  # as annotations hold it


def status_words(status: str, words: Messages = ENGLISH) -> str:
    return words.gettext(NAMES[status]) if status in NAMES else status.replace("_", " ")


class IndicatorFigures(BaseModel):
    """One indicator's figures as an alert's annotations hold them (rules.py)."""

    name: str
    unit: str = ""
    actual: float | None = None
    expected: float
    target: float
    target_date: date | None = None  # absent from alerts made before it was annotated
    ratio: float | None = None
    status: str
    projected_completion: date | None = None


def indicator_line(figures: IndicatorFigures, words: Messages = ENGLISH) -> str:
    """Return cases monitored: 1,234 cases against 2,356 expected by now (0.52 of the progress
    expected, behind); target 10,000 by 31 December 2030, reached at this pace on 14 June 2036"""
    f, _ = figures, words.gettext
    expected = number(f.expected, f.unit, words)
    if f.actual is None:
        line = _("{name}: nothing reported yet, {expected} expected by now").format(
            name=f.name, expected=expected
        )
    else:
        line = _("{name}: {actual} against {expected} expected by now").format(
            name=f.name, actual=quantity(f.actual, f.unit, words), expected=expected
        )
    status = status_words(f.status, words)
    if f.ratio is not None:
        line += _(" ({ratio} of the progress expected, {status})").format(ratio=ratio(f.ratio), status=status)
    else:
        line += f" ({status})"
    line += _("; target {target}").format(target=number(f.target, f.unit, words))
    if f.target_date is not None:
        line += _(" by {day}").format(day=words.date(f.target_date))
    if f.projected_completion is not None:
        line += _(", reached at this pace on {day}").format(day=words.date(f.projected_completion))
    return line


def dashboard_link(dashboard_url: str | None, fingerprint: str) -> str | None:
    """Where the dashboard shows an alert (its /alerts page, at the alert's anchor)."""
    if not dashboard_url:
        return None
    return f"{dashboard_url.rstrip('/')}/alerts#alert-{fingerprint}"
