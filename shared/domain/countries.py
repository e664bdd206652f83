"""Country codes: ISO 3166-1 alpha-3, checked against pycountry's maintained list."""

from __future__ import annotations

import pycountry


def is_alpha3(code: str) -> bool:
    return len(code) == 3 and code.isupper() and pycountry.countries.get(alpha_3=code) is not None


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        raise KeyError(code)
    return str(getattr(country, "common_name", None) or country.name)


def check_alpha3(code: str) -> str:
    """The code itself when it is a known ISO 3166-1 alpha-3 code, else ValueError naming it."""
    if not is_alpha3(code):
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 country code")
    return code
