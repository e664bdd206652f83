"""IATI 2.03 activity XML (pure): one <iati-activity> per project, as of a date, with its
implementer, countries, dates, budget and a <result> per action point it works on. Each
result holds the indicators of that action point, with their baselines, one period per
calendar year and, in each period, the Call for Action target and this project's actual.

Element order follows the 2.03 activity schema's sequences. A test validates the output
against the official schema files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from xml.etree import ElementTree as ET

import pycountry

from shared.domain import catalog
from shared.domain.framework import Indicator, ResultsFramework
from shared.domain.series import Measurement, Series
from shared.domain.views import ProjectView, ReadModel

ACTIVITY_STATUS = {"pipeline": "1", "implementation": "2", "finalisation": "3"}  # IATI ActivityStatus
PLANNED_START, ACTUAL_START, PLANNED_END = "1", "2", "3"  # IATI ActivityDateType
IMPLEMENTING = "4"  # IATI OrganisationRole
TARGET_NOTE = "The Call for Action target, to which several projects contribute"


def _narrative(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    ET.SubElement(element, "narrative").text = text
    return element


def _alpha2(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    return country.alpha_2 if country is not None else code


def _shares(count: int) -> list[str]:
    """Whole percentages summing to 100 (IATI's rule for recipient countries)."""
    base, extra = divmod(100, count)
    return [str(base + (1 if n < extra else 0)) for n in range(count)]


def _status(project: ProjectView, as_of: date) -> str:
    if as_of < project.start_date:
        return ACTIVITY_STATUS["pipeline"]
    return ACTIVITY_STATUS["implementation" if as_of <= project.end_date else "finalisation"]


def _years(start: date, end: date) -> list[tuple[date, date]]:
    return [
        (max(start, date(year, 1, 1)), min(end, date(year, 12, 31)))
        for year in range(start.year, end.year + 1)
    ]


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.4f}".rstrip("0")


def _indicator(
    result: ET.Element, indicator: Indicator, mine: Sequence[Measurement], project: ProjectView, as_of: date
) -> None:
    element = ET.SubElement(result, "indicator", {"measure": "1", "ascending": "1"})
    _narrative(element, "title", f"{indicator.name} ({indicator.unit})")
    baseline = ET.SubElement(
        element,
        "baseline",
        {
            "year": str(catalog.IMPLEMENTATION_START.year),
            "iso-date": catalog.IMPLEMENTATION_START.isoformat(),
        },
    )
    baseline.set("value", _number(indicator.baseline))
    series = Series.of(mine, indicator.aggregation)
    last = min(project.end_date, as_of)
    previous = 0.0
    for start, end in _years(project.start_date, last) if project.start_date <= last else []:
        period = ET.SubElement(element, "period")
        ET.SubElement(period, "period-start", {"iso-date": start.isoformat()})
        ET.SubElement(period, "period-end", {"iso-date": end.isoformat()})
        target = ET.SubElement(period, "target", {"value": _number(indicator.target)})
        _narrative(target, "comment", f"{TARGET_NOTE}, due {indicator.target_date.isoformat()}")
        level = series.actual(end) or 0.0
        # sum: what the project added in the period; latest: the level it reported at its end.
        value = level - previous if indicator.aggregation == "sum" else level
        ET.SubElement(period, "actual", {"value": _number(value)})
        previous = level


def _activity(
    root: ET.Element,
    project: ProjectView,
    framework: ResultsFramework,
    measurements: Mapping[str, Sequence[Measurement]],
    org: tuple[str, str],
    as_of: date,
    now: datetime,
) -> None:
    ref, name = org
    activity = ET.SubElement(
        root,
        "iati-activity",
        {"last-updated-datetime": now.isoformat(timespec="seconds"), "default-currency": "EUR"},
    )
    activity.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    ET.SubElement(activity, "iati-identifier").text = f"{ref}-{project.id}"
    _narrative(activity, "reporting-org", name, ref=ref, type="40")
    _narrative(activity, "title", project.title)
    points = "; ".join(project.action_points)
    _narrative(activity, "description", f"Contributes to Call for Action action points {points}.", type="1")
    _narrative(activity, "participating-org", project.implementer, role=IMPLEMENTING)
    ET.SubElement(activity, "activity-status", {"code": _status(project, as_of)})
    ET.SubElement(
        activity, "activity-date", {"iso-date": project.start_date.isoformat(), "type": PLANNED_START}
    )
    if project.start_date <= as_of:
        ET.SubElement(
            activity, "activity-date", {"iso-date": project.start_date.isoformat(), "type": ACTUAL_START}
        )
    ET.SubElement(activity, "activity-date", {"iso-date": project.end_date.isoformat(), "type": PLANNED_END})
    for code, share in zip(project.countries, _shares(len(project.countries) or 1), strict=False):
        ET.SubElement(activity, "recipient-country", {"code": _alpha2(code), "percentage": share})
    if project.budget_eur is not None:
        budget = ET.SubElement(activity, "budget", {"type": "1", "status": "1"})
        ET.SubElement(budget, "period-start", {"iso-date": project.start_date.isoformat()})
        ET.SubElement(budget, "period-end", {"iso-date": project.end_date.isoformat()})
        value = ET.SubElement(
            budget, "value", {"currency": "EUR", "value-date": project.start_date.isoformat()}
        )
        value.text = _number(project.budget_eur)
    texts = {ap.id: ap.text for p in catalog.priorities() for ap in p.action_points}
    for point in project.action_points:
        indicators = framework.by_action_point.get(point, ())
        if not indicators:
            continue
        result = ET.SubElement(activity, "result", {"type": "1", "aggregation-status": "0"})
        _narrative(result, "title", f"Call for Action {point}: {texts.get(point, '')}".strip())
        for indicator in indicators:
            mine = [m for m in measurements.get(indicator.id, ()) if m.project_id == project.id]
            _indicator(result, indicator, mine, project, as_of)


def iati_activities(
    model: ReadModel,
    framework: ResultsFramework,
    measurements: Mapping[str, Sequence[Measurement]],
    org: tuple[str, str],
    now: datetime,
) -> bytes:
    """The projects of `model` (as of its date) as an IATI 2.03 <iati-activities> document;
    `org` is the reporting organisation's (IATI identifier, name)."""
    root = ET.Element(
        "iati-activities", {"version": "2.03", "generated-datetime": now.isoformat(timespec="seconds")}
    )
    for project in model.projects.values():
        _activity(root, project, framework, measurements, org, model.as_of, now)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
