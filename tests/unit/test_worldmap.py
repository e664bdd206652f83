"""The countries' map: every state drawn or dotted, coloured by activities or status, cropped
to the countries shown, and nothing in it that a browser would run or fetch."""

from __future__ import annotations

import re

import pycountry
from lxml import etree

from services.report import worldmap
from shared.domain.status import Status
from shared.domain.views import CountryView, Participants


def country(code: str, activities: int) -> CountryView:
    name = pycountry.countries.get(alpha_3=code).name
    return CountryView(
        code=code,
        name=name,
        silk_routes=False,
        projects=["P-1"],
        action_points={"1.1": activities},
        activity_count=activities,
        participants=Participants(total=0, women=0, men=0),
    )


def test_every_state_is_drawn_or_dotted() -> None:
    known = worldmap.borders()
    states = [c.alpha_3 for c in pycountry.countries if c.alpha_3 not in ("ATA",)]
    missing = [code for code in states if code not in known.extents]
    # Only territories too small for Natural Earth's 1:50m borders are missing, no state.
    assert set(missing) <= {
        "BES",
        "BVT",
        "CCK",
        "CXR",
        "GIB",
        "GLP",
        "GUF",
        "MTQ",
        "MYT",
        "REU",
        "SJM",
        "TKL",
        "TUV",
        "UMI",
    }
    assert {"MLT", "SGP", "BHR", "LIE"} <= known.dots.keys()  # small states: a dot each
    assert {"AFG", "TUR", "RUS", "DEU", "KAZ"} <= known.shapes.keys()


def test_rings_follow_the_relative_path() -> None:
    assert worldmap.rings("M10 20l1 0 0 1-1 0zM5 5l2 2 -2 0z") == [
        [(10, 20), (11, 20), (11, 21), (10, 21)],
        [(5, 5), (7, 7), (5, 7)],
    ]


def test_coloured_by_activity_in_steps() -> None:
    assert worldmap.activity_fill(0) == worldmap.NONE
    fills = [worldmap.activity_fill(n) for n in (1, 9, 10, 49, 50, 200, 999, 1000, 10**6)]
    assert (
        fills[0]
        == fills[1]
        != fills[2]
        == fills[3]
        != fills[4]
        != fills[5]
        == fills[6]
        != fills[7]
        == fills[8]
    )


def test_coloured_by_the_worst_status_of_the_projects_there() -> None:
    countries = {"AFG": country("AFG", 3), "PAK": country("PAK", 0), "MLT": country("MLT", 2)}
    statuses = {"AFG": Status.BEHIND, "MLT": Status.ON_TRACK}
    shown = worldmap.shade(countries, "status", statuses, lambda c: c.name, [])
    assert {code: s.fill for code, s in shown.shaded.items()} == {
        "AFG": worldmap.STATUS_FILL[Status.BEHIND],
        "PAK": worldmap.NONE,
        "MLT": worldmap.STATUS_FILL[Status.ON_TRACK],
    }


def test_cropped_to_the_countries_shown() -> None:
    one = worldmap.shade({"AFG": country("AFG", 5)}, "activity", {}, lambda c: c.name, [])
    x, y, width, height = one.box
    x0, y0, x1, y1 = worldmap.borders().extents["AFG"]
    assert x <= x0 and y <= y0 and x + width >= x1 and y + height >= y1
    assert width == worldmap.MIN_WIDTH  # with its neighbours, never a country alone
    whole = worldmap.shade({}, "activity", {}, lambda c: c.name, [])
    assert whole.box[2] == worldmap.borders().box[2]


def test_the_svg_links_each_country_shown_and_escapes_what_it_says() -> None:
    hostile = '<script>alert(1)</script>" onload="x'
    shown = worldmap.shade(
        {"AFG": country("AFG", 5), "MLT": country("MLT", 1)}, "activity", {}, lambda c: hostile, []
    )
    svg = worldmap.svg(shown, 'a "map" <of> countries')
    root = etree.fromstring(svg.encode())
    ns = {"s": "http://www.w3.org/2000/svg"}
    links = root.findall("s:a", ns)
    assert [a.get("href") for a in links] == ["#country-AFG", "#country-MLT"]
    assert links[1].find("s:circle", ns) is not None  # Malta: a dot
    assert [a.find(".//s:title", ns).text for a in links] == [hostile, hostile]  # text, never markup
    assert root.get("aria-label") == 'a "map" <of> countries'
    assert not root.findall(".//s:script", ns) and not root.xpath("//@onload")
    assert not re.search(r"(?:href|src)=\"(?:https?:|//)", svg)
    assert len(svg) < 70_000, len(svg)  # the whole world's borders, inline in a page
