"""Real documents are the acceptance: every recorded response in ../shared/samples goes through
the spiders and every pipeline into the database, the exports and the site, and a chosen set of
real listings is checked field by field (skipped when the samples are absent)."""

from __future__ import annotations

import csv
import json

import pytest
import sqlite_utils

from tests.conftest import SAMPLES, datasette_get, run_cli

# (level, how it was obtained, credits, unit, ECTS, url kind, start_from) of real listings
EXPECTED = {
    # Finnish vocational qualifications: the kind in the qualification's name, or EQF given
    "1.2.246.562.17.00000000000000000001": (
        4,
        "derived from the qualification's name (perustutkinto)",
        180.0,
        "osaamispiste",
        None,
        "opintopolku",
        None,
    ),
    "1.2.246.562.17.00000000000000000434": (
        4,
        "derived from the qualification's name (ammattitutkinto)",
        150.0,
        "osaamispiste",
        None,
        "opintopolku",
        "2023-08-01",
    ),
    "1.2.246.562.17.00000000000000005375": (
        4,
        "given (EQF level stated by the source)",
        180.0,
        "osaamispiste",
        None,
        "opintopolku",
        "2023-08-01",
    ),
    # a UAS bachelor's programme: the degree title; the unit the type fixes, so ECTS
    "1.2.246.562.17.00000000000000000420": (
        6,
        "derived from the degree title",
        240.0,
        "opintopiste",
        240.0,
        "opintopolku",
        "2020-08-01",
    ),
    # Swedish: an advanced YH programme, a first-cycle university course, komvux at two levels
    "e.myh.27538": (6, "derived from the qualification type", 400.0, "yh-poäng", 120.0, None, "2025-08-01"),
    "e.uoh.hj.lgrg14.12887.20252": (
        6,
        "derived from the entry requirements",
        7.5,
        "högskolepoäng",
        7.5,
        None,
        "2025-08-18",
    ),
    "e.IST.514232VUXFLEXGRNENGA": (2, "derived from the school form", 100.0, "gymnasiepoäng", None, None, None),
    "e.IST.33006RLXACNVUXY251BAG": (
        4,
        "derived from the school form",
        1400.0,
        "gymnasiepoäng",
        None,
        None,
        "2025-01-06",
    ),
    "e.sv.yh.ytpl.2281.20252": (
        6,
        "derived from the qualification type",
        400.0,
        "yh-poäng",
        120.0,
        "provider",
        "2025-08-25",
    ),
}
HELD_BACK = {
    "1.2.246.562.17.00000000000000000469": "test_listing:title",  # "(testi) Hevosten hyvinvoinnista huolehtiminen"
    "1.2.246.562.17.00000000000000000404": "test_listing:title",  # "PetteriT:n testitoteutus"
    "1.2.246.562.17.00000000000000000471": "placeholder_text",  # a Lorem ipsum description
}
API_PATHS = ("/konfo-backend/", "/planned-educations/", "/susa-navet/", "127.0.0.1")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    samples_dir = SAMPLES
    folder = tmp_path_factory.mktemp("real")
    replay, db_path, exports = folder / "replay", folder / "aggregator.db", folder / "exports"
    run_cli("samples", str(samples_dir), str(replay))
    result = run_cli(
        "--db", str(db_path), "nightly", "--replay", str(replay), "--no-models", "--export-dir", str(exports)
    )
    return db_path, exports, result


def url_kind(url: str | None) -> str | None:
    if not url:
        return None
    return "opintopolku" if url.startswith("https://opintopolku.fi/konfo/") else "provider"


def test_chosen_real_listings_field_by_field(crawled):
    db_path, _, _ = crawled
    rows = {r["source_id"]: r for r in sqlite_utils.Database(db_path)["courses"].rows}
    for source_id, (eqf, method, credits, unit, ects, kind, start_from) in EXPECTED.items():
        row = rows[source_id]
        got = (
            row["eqf_level"],
            row["eqf_method"],
            row["credits"],
            row["credit_unit"],
            row["ects"],
            url_kind(row["url"]),
            row["start_from"],
        )
        assert got[0] == eqf and got[1].startswith(method), (source_id, got)
        assert got[2:] == (credits, unit, ects, kind, start_from), (source_id, got)


def test_every_real_listing_has_a_level_or_the_reason_and_a_link_a_person_can_open(crawled):
    db_path, _, _ = crawled
    db = sqlite_utils.Database(db_path)
    rows = list(db["courses"].rows)
    assert len(rows) >= 29
    for row in rows:
        assert row["eqf_method"], row["source_id"]  # a level with its method, or no level with the reason
        assert (row["eqf_level"] is None) == row["eqf_method"].startswith("no level"), row["source_id"]
        assert not any(part in (row["url"] or "") for part in API_PATHS), (row["source_id"], row["url"])
        assert row["source_url"]
        if row["country"] == "FI" and row["education_type_source"] in ("amm", "amk", "yo", "lk"):
            assert row["eqf_level"], row["source_id"]
        if row["education_type_source"] in ("amk", "yo") and row["credits"]:
            assert row["credit_unit"] == "opintopiste" and row["ects"] == row["credits"], row["source_id"]
        if row["start_term"] and row["start_term"][:4].isdigit():
            assert row["start_from"], row["source_id"]
    # on the map: at least 95 % of the listings have a position, each with where it came from
    placed = [r for r in rows if r["latitude"] is not None]
    assert len(placed) >= 0.95 * len(rows) and all(
        r["coordinates_method"] and r["longitude"] is not None for r in placed
    )
    assert {r["country"] for r in placed} == {"FI", "SE"}
    # starting soon can list Finnish offerings: they have a term, and now a first day
    assert any(r["country"] == "FI" and r["start_date"] is None and r["start_from"] for r in rows)


def test_test_and_placeholder_listings_are_held_back_everywhere(crawled):
    db_path, exports, _ = crawled
    db = sqlite_utils.Database(db_path)
    held = {r["source_id"]: r["reason"] for r in db["held_back_listings"].rows}
    assert held == HELD_BACK
    assert not db.execute(
        f"select count(*) from courses where source_id in ({','.join('?' * len(HELD_BACK))})", list(HELD_BACK)
    ).fetchone()[0]
    counters = json.loads(db.execute("select counters from crawl_runs where source = 'opintopolku_fi'").fetchone()[0])
    assert counters["held_back/test_listing:title"] == 2 and counters["held_back/placeholder_text"] == 1
    with open(exports / "courses.csv", newline="", encoding="utf-8") as exported:
        ids = {row["source_id"] for row in csv.DictReader(exported)}
    assert ids and not ids & set(HELD_BACK)
    page = datasette_get(str(db_path), "/aggregator/courses.json?_search=testi&_shape=objects").json()
    assert not {r["source_id"] for r in page["rows"]} & set(HELD_BACK)


# The least share (%) of each source's listings with each fact on the shared samples (aggregator
# coverage); what the samples cannot give is 0 (Planned Educations' list has no provider pages).
MINIMUMS = {
    "opintopolku_fi": {
        "eqf_level": 100,
        "level_or_reason": 100,
        "credit_unit": 100,
        "public_url": 100,
        "start_from": 80,
    },
    "plannededucations_se": {"eqf_level": 90, "level_or_reason": 100, "credit_unit": 100, "start_from": 50},
    "susanavet_se": {"level_or_reason": 100, "public_url": 100, "start_from": 100},
}


def test_coverage_per_source_meets_its_minimums(crawled):
    db_path, _, _ = crawled
    printed = run_cli("--db", str(db_path), "coverage").stdout
    print(printed)
    from aggregator.report import coverage

    shares = {row["source"]: row for row in coverage(sqlite_utils.Database(db_path))}
    for source, minimums in MINIMUMS.items():
        for fact, least in minimums.items():
            assert shares[source][fact] >= least, (source, fact, shares[source][fact])
    assert "level_or_reason" in printed.splitlines()[0]


# seats, field of education (ISCED-F code, the source's code) and occupations of every real
# listing that states them, as the documents give them (read by hand): Opintopolku's
# aloituspaikat (5375: 13 application options, 97 seats), its koulutusala codes at the most
# detailed level given and its ammattinimikkeet; Susa-navet's KTH event with places = 120
NEW_FIELDS = {
    "1.2.246.562.17.00000000000000000001": (
        50,
        "04",
        "kansallinenkoulutusluokitus2016koulutusalataso1_04",
        ["merkonomi"],
    ),
    "1.2.246.562.17.00000000000000000434": (50, "02", "kansallinenkoulutusluokitus2016koulutusalataso1_02", []),
    "1.2.246.562.17.00000000000000000437": (
        50,
        "08",
        "kansallinenkoulutusluokitus2016koulutusalataso1_08",
        ["Eläintenkouluttaja"],
    ),
    "1.2.246.562.17.00000000000000000420": (
        50,
        "091",
        "kansallinenkoulutusluokitus2016koulutusalataso2_091",
        ["ensihoitaja (amk)"],
    ),
    "1.2.246.562.17.00000000000000000466": (
        50,
        "10",
        "kansallinenkoulutusluokitus2016koulutusalataso1_10",
        ["autonkuljettaja", "linja-autonkuljettaja", "yhdistelmäajoneuvonkuljettaja", "chaufför"],
    ),
    "1.2.246.562.17.00000000000000005375": (
        97,
        "0716",
        "kansallinenkoulutusluokitus2016koulutusalataso3_0716",
        ["automekaanikko", "pienkonemekaanikko", "autokorimekaanikko"],
    ),
    "e.uoh.kth.dd1420.60090.20251": (120, None, None, []),
}


def test_seats_field_of_education_and_occupations_field_by_field(crawled):
    db_path, _, _ = crawled
    db = sqlite_utils.Database(db_path)
    rows = {r["source_id"]: r for r in db["courses"].rows}
    carrying = {
        source_id
        for source_id, r in rows.items()
        if r["seats"] is not None or r["isced_f"] or json.loads(r["occupations"] or "[]")
    }
    assert carrying == set(NEW_FIELDS)
    for source_id, expected in NEW_FIELDS.items():
        row = rows[source_id]
        got = (row["seats"], row["isced_f"], row["isced_f_source"], json.loads(row["occupations"] or "[]"))
        assert got == expected, source_id
    # the nightly job counted the planner's supply at its end (aggregator/supply_counts.py)
    assert db["supply_cells"].count > 0 and db["supply_regions"].count == 40
    # labelled in English where the classification has the code
    labels = dict(db.execute("select value, label from value_labels where [column] = 'isced_f'").fetchall())
    assert labels["0716"] == "0716 Motor vehicles, ships and aircraft" and labels["10"] == "10 Services"
    # the new facets on the site: field of education (counted) and occupations, English labels shown
    page = datasette_get(str(db_path), "/aggregator/courses.json?_facet_counted=isced_f&_facet_array=occupations")
    facets = page.json()["facet_results"]
    fields = {v["value"]: v["label"] for v in facets["isced_f"]["results"]}
    assert fields["0716"] == "0716 Motor vehicles, ships and aircraft" and "091" in fields
    assert "merkonomi" in {v["value"] for v in facets["occupations"]["results"]}
    # the one real education info with subject codes (its events are not in the samples)
    from spiders.extract.classifications import susanavet_fields

    info = json.loads((SAMPLES / "se" / "susa-navet-emil3" / "susa_navet_info.json").read_text("utf-8"))
    fields = susanavet_fields({}, info.get("content") or info)
    assert (fields["isced_f"], fields["isced_f_source"]) == ("0714", "C_Subject_ISCED2013:0714")
    from aggregator.report import coverage

    shares = {row["source"]: row for row in coverage(db)}
    assert shares["opintopolku_fi"]["seats"] > 0 and shares["opintopolku_fi"]["field_of_education"] > 0
    assert shares["opintopolku_fi"]["occupations"] > 0 and shares["susanavet_se"]["seats"] > 0
