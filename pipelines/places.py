"""Official municipality classifications of both countries: municipality code -> name, region
(Swedish län / Finnish maakunta) and NUTS-3.

The tables live in ``pipelines/data/`` as plain CSV so they can be reviewed and updated when a
classification changes (municipal mergers take effect on 1 January):

- ``fi_municipalities.csv``: Statistics Finland's municipality codes as used by Opintopolku's
  ``kunta`` code list (the 309 municipalities of 2021-2026, with their Finnish and Swedish names)
  and the region (maakunta) each belongs to, including the 2021 moves of Iitti, Joroinen,
  Heinävesi and Kuhmoinen;
- ``fi_regions.csv``: the 19 maakunta codes with their Finnish, Swedish and English names (from
  Opintopolku's ``maakunta`` code list) and their NUTS-3 code (NUTS 2021);
- ``se_municipalities.csv``: SCB's 290 municipality codes (kommunkoder) and names; the county is
  the code's first two digits (``pipelines.vocabularies.SE_COUNTIES``).

Codes outside the tables (Opintopolku's 198/199/200/999 "abroad" and "unknown", a future new
municipality) resolve to nothing: the caller keeps the code and counts it, it never guesses.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipelines.vocabularies import SE_COUNTIES

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Place:
    country: str
    municipality_code: str
    municipality: str
    region_code: str
    region: str
    nuts3: str
    municipality_sv: str | None = None
    region_en: str | None = None


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def municipalities() -> dict[tuple[str, str], Place]:
    """Every municipality of both countries, keyed by (country, code)."""
    places: dict[tuple[str, str], Place] = {}
    regions = {r["code"]: r for r in _rows("fi_regions.csv")}
    for row in _rows("fi_municipalities.csv"):
        region = regions[row["region_code"]]
        places["FI", row["code"]] = Place(
            "FI",
            row["code"],
            row["name_fi"],
            row["region_code"],
            region["name_fi"],
            region["nuts3"],
            row["name_sv"],
            region["name_en"],
        )
    for row in _rows("se_municipalities.csv"):
        county, nuts3 = SE_COUNTIES[row["code"][:2]]
        places["SE", row["code"]] = Place("SE", row["code"], row["name"], row["code"][:2], county, nuts3)
    return places


def normalise_code(country: str | None, code: str | None) -> str | None:
    """Codes as the tables hold them: SCB's four digits, Statistics Finland's three (sources lose
    leading zeros: Susa-navet's 180 is Stockholm 0180, a Finnish 5 is Alajärvi 005)."""
    if not code or not str(code).strip().isdigit():
        return code
    width = {"SE": 4, "FI": 3}.get(country or "")
    return str(code).strip().zfill(width) if width else code


@lru_cache(maxsize=1)
def _by_name() -> dict[str, list[Place]]:
    names: dict[str, list[Place]] = {}
    for place in municipalities().values():
        for name in {place.municipality, place.municipality_sv}:
            if name:
                names.setdefault(name.casefold(), []).append(place)
    return names


def by_name(country: str | None, name: str | None) -> Place | None:
    """The municipality a town name names (Finnish or Swedish name, any case: "Kokkola",
    "Jakobstad", "SKELLEFTEÅ"), in ``country`` or, when the country is not known, in whichever
    country has it; None when no municipality or more than one has the name."""
    if not name:
        return None
    found = [p for p in _by_name().get(name.strip().casefold(), []) if not country or p.country == country]
    return found[0] if len(found) == 1 else None


def lookup(country: str | None, code: str | None) -> Place | None:
    return municipalities().get((country or "", normalise_code(country, code) or ""))


@lru_cache(maxsize=1)
def municipality_positions() -> dict[tuple[str, str], dict[str, str]]:
    """(country, code) -> the municipality's position (municipality_coordinates.csv, built from
    GeoNames by scripts/build_municipality_coordinates.py)."""
    return {(row["country"], row["code"]): row for row in _rows("municipality_coordinates.csv")}


def municipality_position(country: str | None, code: str | None) -> tuple[float, float, str] | None:
    """(latitude, longitude, how) of a municipality's main settlement, or None."""
    row = municipality_positions().get((country or "", normalise_code(country, code) or ""))
    if row is None:
        return None
    how = (
        f"municipality's main settlement ({row['geonames_name']}, GeoNames cities1000, CC BY 4.0)"
        if row["method"] == "main_settlement"
        else f"centre of the municipality's GeoNames places ({row['geonames_name']}, cities1000, CC BY 4.0)"
    )
    return float(row["latitude"]), float(row["longitude"]), how
