"""The simulated field projects: fictional (ids start with SIM-), on real action points and
in the Budapest Process region, each with a way of reporting (on pace, ahead, lagging, or
falling silent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shared.events.models import ProjectRegistered


class Pace(StrEnum):
    AHEAD = "ahead"  # reports a little more than its share of the targets
    ON_PACE = "on_pace"
    LAGGING = "lagging"  # about half its share: its action points fall behind
    SILENT = "silent"  # on pace, then stops reporting at `silent_from`


PACE_FACTOR = {Pace.AHEAD: 1.2, Pace.ON_PACE: 1.0, Pace.LAGGING: 0.5, Pace.SILENT: 1.0}


@dataclass(frozen=True)
class SimProject:
    project_id: str
    title: str
    implementer: str
    countries: tuple[str, ...]
    action_points: tuple[str, ...]
    start: date
    end: date
    pace: Pace
    cadence_days: int = 90
    over_http: bool = False  # reports through intake's HTTP API instead of Kafka
    silent_from: date | None = None

    def registration(self) -> ProjectRegistered:
        return ProjectRegistered(
            project_id=self.project_id,
            title=self.title,
            implementer=self.implementer,
            countries=list(self.countries),
            action_points=list(self.action_points),
            start_date=self.start,
            end_date=self.end,
            reporting_cadence_days=self.cadence_days,
        )


PROJECTS: tuple[SimProject, ...] = (
    SimProject(
        "SIM-SR-SMUGGLING",
        "Silk Routes cooperation against migrant smuggling",
        "ICMPD",
        ("AFG", "PAK", "IRN", "TUR"),
        ("1.1", "1.2"),
        date(2025, 1, 1),
        date(2028, 12, 31),
        Pace.ON_PACE,
    ),
    SimProject(
        "SIM-BORDER-CA",
        "Integrated border management in Central Asia",
        "IOM",
        ("UZB", "TJK", "KGZ"),
        ("1.3",),
        date(2025, 2, 1),
        date(2028, 6, 30),
        Pace.AHEAD,
        over_http=True,
    ),
    SimProject(
        "SIM-AWARE-BGD",
        "Informed migration choices in Bangladesh",
        "BRAC",
        ("BGD",),
        ("1.4", "1.5"),
        date(2025, 3, 1),
        date(2027, 12, 31),
        Pace.LAGGING,
        cadence_days=60,
    ),
    SimProject(
        "SIM-SKILLS-PAK",
        "Skills partnership Pakistan-Germany",
        "GIZ",
        ("PAK", "DEU"),
        ("2.1", "2.2"),
        date(2025, 1, 1),
        date(2028, 12, 31),
        Pace.ON_PACE,
    ),
    SimProject(
        "SIM-LABOUR-MOB",
        "Fair labour mobility from Central Asia",
        "ILO",
        ("UZB", "KGZ", "HUN", "BGR"),
        ("2.3", "2.4"),
        date(2025, 1, 1),
        date(2027, 12, 31),
        Pace.SILENT,
        silent_from=date(2026, 3, 1),
    ),
    SimProject(
        "SIM-MRC-NETWORK",
        "Migrant Resource Centres along the Silk Routes",
        "ICMPD",
        ("PAK", "AFG", "IRQ", "BGD"),
        ("2.5", "2.6"),
        date(2025, 1, 1),
        date(2029, 12, 31),
        Pace.ON_PACE,
        cadence_days=30,
        over_http=True,
    ),
    SimProject(
        "SIM-READMIT-SR",
        "Readmission cooperation with Silk Routes countries",
        "ICMPD",
        ("PAK", "BGD", "IRQ"),
        ("3.1", "3.2"),
        date(2025, 1, 1),
        date(2028, 12, 31),
        Pace.ON_PACE,
    ),
    SimProject(
        "SIM-RETURN-MON",
        "Monitoring of return in the Caucasus and Türkiye",
        "UNHCR",
        ("TUR", "GEO", "ARM"),
        ("3.3", "3.4"),
        date(2025, 4, 1),
        date(2028, 3, 31),
        Pace.LAGGING,
    ),
    SimProject(
        "SIM-REINT-AFG",
        "Sustainable reintegration in Afghanistan and Pakistan",
        "IOM",
        ("AFG", "PAK"),
        ("3.5", "3.6"),
        date(2025, 1, 1),
        date(2029, 6, 30),
        Pace.AHEAD,
        over_http=True,
    ),
    SimProject(
        "SIM-DEV-MIG",
        "Migration in development planning in Iraq and Azerbaijan",
        "UNDP",
        ("IRQ", "AZE"),
        ("4.1", "4.2", "4.3"),
        date(2025, 3, 1),
        date(2028, 12, 31),
        Pace.ON_PACE,
    ),
    SimProject(
        "SIM-CLIMATE-CA",
        "Climate, livelihoods and mobility in Central Asia and Bangladesh",
        "FAO",
        ("KAZ", "TKM", "UZB", "BGD"),
        ("4.4", "4.5"),
        date(2025, 5, 1),
        date(2028, 12, 31),
        Pace.LAGGING,
    ),
    SimProject(
        "SIM-REMIT",
        "Cheaper and safer remittances",
        "World Bank",
        ("TJK", "KGZ", "UZB", "PAK"),
        ("4.6",),
        date(2025, 1, 1),
        date(2027, 12, 31),
        Pace.ON_PACE,
    ),
    SimProject(
        "SIM-ASYLUM-TR",
        "Asylum capacities in Türkiye, Iran and Pakistan",
        "UNHCR",
        ("TUR", "IRN", "PAK"),
        ("5.1", "5.2", "5.3"),
        date(2025, 1, 1),
        date(2028, 12, 31),
        Pace.LAGGING,
    ),
    SimProject(
        "SIM-PROTECT",
        "Protection and durable solutions for Afghans",
        "UNHCR",
        ("AFG", "IRN", "TUR", "GRC"),
        ("5.4", "5.5", "5.6"),
        date(2025, 1, 1),
        date(2028, 12, 31),
        Pace.SILENT,
        silent_from=date(2026, 6, 1),
    ),
    SimProject(
        "SIM-INTEG-EU",
        "Inclusion of migrants and refugees in European cities",
        "Eurocities",
        ("AUT", "HUN", "DEU", "ROU"),
        ("6.1", "6.2", "6.3", "6.4"),
        date(2025, 1, 1),
        date(2029, 12, 31),
        Pace.ON_PACE,
        over_http=True,
    ),
    SimProject(
        "SIM-NARRATIVES",
        "Evidence-based narratives on migration",
        "ICMPD",
        ("GEO", "ARM", "AZE", "TUR", "BGR"),
        ("6.5", "6.6", "6.7", "6.8"),
        date(2025, 1, 1),
        date(2029, 12, 31),
        Pace.AHEAD,
        cadence_days=60,
    ),
)
