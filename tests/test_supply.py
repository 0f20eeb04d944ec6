"""The planner's pages (/supply, /supply/gap, /supply/compare) and their JSON and Excel, on a
published site with listings in the partners' regions (tests/planner_site.py): every number
equals the database's own count, every link shows that many listings, every region of both
countries has its cells (zeros too), a gap names the nearest region that offers it. And the new
fields' extraction (seats, field of education, occupations), labels and coverage."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
import sqlite_utils

from aggregator.supply_counts import BANDS
from pipelines.places import municipalities
from pipelines.topics import TOPICS

pytest_plugins = ["tests.planner_site"]  # the planner_site fixture

BAND_OF_LEVEL = {level: band.key for band in BANDS if band.eqf_min for level in range(band.eqf_min, band.eqf_max + 1)}


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as answer:
        assert answer.status == 200, url
        return answer.read()


def get_json(url: str) -> dict:
    return json.loads(get(url))


def counted_in_sql(published) -> dict[tuple[str, str, str], tuple[int, int | None, int]]:
    """(topic, nuts3, band) -> (current listings, their seats, how many state seats), from the
    listings themselves."""
    out: dict = {}
    db = sqlite_utils.Database(published)
    for topics, nuts3, level, seats in db.execute(
        "select topics, nuts3, eqf_level, seats from courses where removed_at is null and nuts3 is not null"
    ):
        band = "no_level" if level is None else BAND_OF_LEVEL[level]
        for topic in set(json.loads(topics or "[]")):
            n, total, stated = out.get((topic, nuts3, band), (0, None, 0))
            if seats is not None:
                total, stated = (total or 0) + seats, stated + 1
            out[(topic, nuts3, band)] = (n + 1, total, stated)
    return out


def listings_behind(url: str) -> int:
    """How many listings the courses page a cell links to shows (its JSON's filtered count)."""
    parts = urlsplit(url)
    page = get_json(f"{parts.scheme}://{parts.netloc}{parts.path}.json?{parts.query}&_size=1")
    return page["filtered_table_rows_count"]


def test_the_grid_has_every_topic_region_and_band_of_both_countries_with_the_databases_counts(planner_site):
    base, published = planner_site
    data = get_json(f"{base}/supply.json")
    regions = {place.nuts3 for place in municipalities().values()}
    assert len(regions) == 40  # 21 län and 19 maakunta
    cells = {(r["topic"], r["nuts3"], r["band"]): r for r in data["rows"]}
    assert len(cells) == len(data["rows"]) == len(TOPICS) * len(regions) * len(BANDS)
    expected = counted_in_sql(published)
    assert sum(n for n, _, _ in expected.values()) > 300
    for key, row in cells.items():
        n, seats, stated = expected.get(key, (0, None, 0))
        assert (row["offerings"], row["seats"], row["offerings_with_seats"]) == (n, seats, stated), key
        band = next(b for b in BANDS if b.key == row["band"])
        assert (row["eqf_min"], row["eqf_max"]) == (band.eqf_min, band.eqf_max)
    zeros = [r for r in data["rows"] if r["offerings"] == 0]
    assert zeros and {r["country"] for r in zeros} == {"FI", "SE"}
    assert {b["band"]: (b["eqf_min"], b["eqf_max"]) for b in data["bands"]} == {
        "operators": (1, 4),
        "technicians": (5, 5),
        "engineers": (6, 7),
        "research": (8, 8),
        "no_level": (None, None),
    }


def test_a_cells_link_shows_exactly_its_listings(planner_site):
    base, _ = planner_site
    rows = get_json(f"{base}/supply.json?region=SE331")["rows"]
    rows += get_json(f"{base}/supply.json?region=FI1D9&topic=automation_maintenance")["rows"]
    picked = [r for r in rows if r["offerings"]][:6] + [r for r in rows if not r["offerings"]][:2]
    assert {r["band"] for r in picked} >= {"operators", "engineers", "no_level"}
    for row in picked:
        assert listings_behind(row["url"]) == row["offerings"], row["url"]
        if row["nearest"]:
            assert listings_behind(row["nearest"]["url"]) == row["nearest"]["offerings"]


def test_filters_narrow_the_grid_and_a_mistake_is_one_line_with_400(planner_site):
    base, _ = planner_site
    whole = {(r["topic"], r["nuts3"], r["band"]): r["offerings"] for r in get_json(f"{base}/supply.json")["rows"]}
    narrowed = get_json(f"{base}/supply.json?topic=hydrogen&country=FI")["rows"]
    assert {r["topic"] for r in narrowed} == {"hydrogen"} and {r["country"] for r in narrowed} == {"FI"}
    assert len(narrowed) == 19 * len(BANDS)
    assert all(whole[(r["topic"], r["nuts3"], r["band"])] == r["offerings"] for r in narrowed)
    for address in (
        "/supply?topic=nope",
        "/supply.json?region=XX1",
        "/supply/compare?a=SE331",
        "/supply/gap?topic=hydrogen",
    ):
        with pytest.raises(urllib.error.HTTPError) as answer:
            get(base + address)
        assert answer.value.code == 400, address
        body = answer.value.read().decode()
        assert "Traceback" not in body and ("unknown" in body or "give" in body or "compare two regions" in body)


def test_a_gap_names_the_nearest_region_that_offers_the_topic_at_that_level(planner_site):
    base, _ = planner_site
    rows = get_json(f"{base}/supply.json?region=SE331")["rows"]
    gaps = [r for r in rows if r["gap"] == "none" and r["nearest"]]
    assert gaps
    for row in gaps[:5]:
        page = get_json(f"{base}/supply/gap.json?topic={row['topic']}&region=SE331&band={row['band']}")
        around = page["nearest_regions"]
        assert around == sorted(around, key=lambda a: a["km"]) and all(a["offerings"] > 0 for a in around)
        assert (around[0]["nuts3"], around[0]["offerings"]) == (row["nearest"]["nuts3"], row["nearest"]["offerings"])
        # no region nearer than the one named offers it
        grid = get_json(f"{base}/supply.json?topic={row['topic']}")["rows"]
        here = {r["nuts3"]: r["offerings"] for r in grid if r["band"] == row["band"]}
        assert here["SE331"] == 0 and here[row["nearest"]["nuts3"]] == row["nearest"]["offerings"]


def test_compare_gives_both_regions_counts_difference_languages_and_next_terms(planner_site):
    base, published = planner_site
    data = get_json(f"{base}/supply/compare.json?a=SE331&b=FI1D9")
    assert {r["nuts3"] for r in data["rows"]} == {"SE331", "FI1D9"}
    assert len(data["rows"]) == 2 * len(TOPICS) * len(BANDS)
    by_key = {(r["topic"], r["nuts3"], r["band"]): r for r in data["rows"]}
    for pair in data["pairs"]:
        a, b = by_key[(pair["topic"], "SE331", pair["band"])], by_key[(pair["topic"], "FI1D9", pair["band"])]
        assert pair["difference"] == a["offerings"] - b["offerings"] == pair["a_offerings"] - pair["b_offerings"]
    db = sqlite_utils.Database(published)
    terms = data["next_two_terms"]
    for row in [r for r in data["rows"] if r["offerings"]][:8]:
        band = next(b for b in BANDS if b.key == row["band"])
        level = "eqf_level is null" if band.eqf_min is None else f"eqf_level between {band.eqf_min} and {band.eqf_max}"
        where = (
            f"removed_at is null and nuts3 = :nuts3 and {level}"
            " and exists (select 1 from json_each(topics) where value = :topic)"
        )
        params = {"nuts3": row["nuts3"], "topic": row["topic"]}
        languages = dict(
            db.execute(
                f"select l.value, count(*) from courses c, json_each(c.instruction_languages) l where {where} group "
                f"by 1",
                params,
            ).fetchall()
        )
        assert row["languages"] == languages
        starting = {
            term: db.execute(
                f"select count(*) from courses where {where} and substr(start_from, 1, 4) = :year and"
                " (cast(substr(start_from, 6, 2) as integer) <= 6) = :spring",
                {**params, "year": term[:4], "spring": term.endswith("spring")},
            ).fetchone()[0]
            for term in terms
        }
        assert row["starting"] == starting
    assert sum(r["starting_next_two_terms"] for r in data["rows"]) > 0


def test_supply_xlsx_holds_the_same_numbers_as_the_json(planner_site):
    from openpyxl import load_workbook

    base, _ = planner_site
    rows = get_json(f"{base}/supply.json?country=SE")["rows"]
    book = load_workbook(io.BytesIO(get(f"{base}/supply.xlsx?country=SE")), read_only=True)
    assert {"Supply", "Level bands", "Start terms", "About"} <= set(book.sheetnames)
    sheet = list(book["Supply"].values)
    header, body = sheet[0], sheet[1:]
    got = {(r[header.index("topic")], r[header.index("nuts3")], r[header.index("band")]): r for r in body}
    assert len(got) == len(rows)
    for row in rows:
        line = got[(row["topic"], row["nuts3"], row["band"])]
        assert line[header.index("offerings")] == row["offerings"] and line[header.index("seats")] == row["seats"]
        assert line[header.index("url")] == row["url"]
    compare = load_workbook(io.BytesIO(get(f"{base}/supply/compare.xlsx?a=SE331&b=FI1D9")), read_only=True)
    lines = list(compare["Compare"].values)
    assert len(lines) == 1 + len(TOPICS) * len(BANDS) and lines[0][4] == "SE331 offerings"


def test_every_table_and_query_page_downloads_as_xlsx(planner_site):
    """datasette-xlsx 0.2.x with Datasette 0.65: a filtered table and a canned query."""
    from openpyxl import load_workbook

    base, _ = planner_site
    count = get_json(f"{base}/aggregator/courses.json?nuts3=SE331&_size=1")["filtered_table_rows_count"]
    book = load_workbook(io.BytesIO(get(f"{base}/aggregator/courses.xlsx?nuts3=SE331")), read_only=True)
    assert len(list(book.worksheets[0].values)) == 1 + count
    query = load_workbook(io.BytesIO(get(f"{base}/aggregator/supply_by_topic_region_level.xlsx")), read_only=True)
    assert len(list(query.worksheets[0].values)) > 1


def test_the_home_page_leads_to_the_planners_pages(planner_site):
    base, _ = planner_site
    home = get(base + "/").decode()
    assert 'href="/supply"' in home and "/supply/compare?a=SE331&amp;b=FI1D9" in home


# --- the new fields, from documents shaped like the registers' ------------------------------


def test_susanavet_seats_field_and_occupation_codes():
    from spiders.extract.classifications import susanavet_fields

    content = {"places": 24}
    info = {
        "subjects": [
            {"type": "UH_Subject", "code": "EL1"},
            {"type": "C_Subject_SUN", "code": "523a"},
            {"type": "C_Subject_ISCED2013", "code": "0714"},
            {"type": "AUB_Subject", "code": "7212"},
        ]
    }
    assert susanavet_fields(content, info) == {
        "seats": 24,
        "isced_f": "0714",
        "isced_f_source": "C_Subject_ISCED2013:0714",
        "occupations": ["SSYK 7212"],
    }
    # a SUN code alone is the source's code, not an ISCED-F one; seats only as a count
    only_sun = susanavet_fields({"places": True}, {"subjects": [{"type": "C_Subject_SUN", "code": "523a"}]})
    assert only_sun == {"seats": None, "isced_f": None, "isced_f_source": "C_Subject_SUN:523a", "occupations": []}


def test_opintopolku_seats_field_and_occupation_titles():
    from spiders.extract.classifications import opintopolku_fields

    toteutus = {
        "metadata": {
            "ammattinimikkeet": [{"kieli": "fi", "arvo": "automekaanikko"}, {"kieli": "sv", "arvo": "chaufför"}]
        },
        "hakutiedot": [{"hakukohteet": [{"aloituspaikat": {"lukumaara": 3}}, {"aloituspaikat": {"lukumaara": 24}}]}],
    }
    koulutus = {
        "koulutuskoodienAlatJaAsteet": [
            {
                "koulutusalaKoodiUrit": [
                    "kansallinenkoulutusluokitus2016koulutusalataso1_07",
                    "kansallinenkoulutusluokitus2016koulutusalataso3_0716",
                    "kansallinenkoulutusluokitus2016koulutusalataso2_071",
                ]
            }
        ],
        "metadata": {"koulutusala": [{"koodiUri": "kansallinenkoulutusluokitus2016koulutusalataso1_07#1"}]},
    }
    assert opintopolku_fields(toteutus, koulutus) == {
        "seats": 27,
        "isced_f": "0716",
        "isced_f_source": "kansallinenkoulutusluokitus2016koulutusalataso3_0716",
        "occupations": ["automekaanikko", "chaufför"],
    }
    # a study unit's own seats; the programme's broad field where no finer one is given
    unit = opintopolku_fields({"metadata": {"aloituspaikat": 123}}, {"metadata": koulutus["metadata"]})
    assert unit == {
        "seats": 123,
        "isced_f": "07",
        "isced_f_source": "kansallinenkoulutusluokitus2016koulutusalataso1_07",
        "occupations": [],
    }


def test_field_and_occupation_labels_come_from_the_classifications():
    from aggregator.classifications import isced_f_label, occupation_label

    assert isced_f_label("0714") == "0714 Electronics and automation"
    assert isced_f_label("1014") == "1014 Sports"
    assert isced_f_label("10") == "10 Services"
    assert isced_f_label("0718") == "0718 (in 071 Engineering and engineering trades)"
    assert occupation_label("SSYK 7212") == "SSYK 7212 Welders and flame cutters"
    assert occupation_label("SSYK 7299") == "SSYK 7299 (major group 7: Building and manufacturing workers)"
    assert occupation_label("automekaanikko") is None


def test_coverage_reports_seats_field_and_occupations(planner_site):
    from aggregator.report import coverage

    _, published = planner_site
    db = sqlite_utils.Database(published)
    rows = {r["source"]: r for r in coverage(db)}
    for source, row in rows.items():
        total, stated = db.execute(
            "select count(*), count(seats) from courses where removed_at is null and source = ?", [source]
        ).fetchone()
        assert row["seats"] == round(100.0 * stated / total, 1)
        assert "field_of_education" in row and "occupations" in row


def test_a_cell_far_below_the_nearest_region_across_the_border_names_it_and_a_zero_names_the_nearest():
    from aggregator.supply_counts import distance_km, regions
    from aggregator.web.supply import Supply, cell

    class Links:
        def courses(self, topic, nuts3, band):
            return f"/courses/{topic}/{nuts3}/{band}"

        def gap(self, topic, nuts3, band):
            return f"/gap/{topic}/{nuts3}/{band}"

    counts = {"SE331": 3, "SE332": 5, "FI1D9": 12, "FI1C4": 40}
    supply = Supply(
        list(regions()), cells={("hydrogen", code, "engineers"): (n, None, 0) for code, n in counts.items()}
    )
    far = cell(supply, Links(), "hydrogen", supply.by_code["SE331"], "engineers")
    # Pohjanmaa (FI195) is nearer across the Kvarken but offers nothing: Pohjois-Pohjanmaa's 12 is 4 x 3
    assert far["gap"] == "far_below" and far["nearest"]["nuts3"] == "FI1D9" and far["nearest"]["across_the_border"]
    assert far["nearest"]["offerings"] == 12 and far["nearest"]["url"] == "/courses/hydrogen/FI1D9/engineers"
    close = cell(supply, Links(), "hydrogen", supply.by_code["SE332"], "engineers")
    assert close["gap"] is None and close["nearest"] is None  # 12 is less than 4 x 5
    zero = cell(supply, Links(), "hydrogen", supply.by_code["FI195"], "engineers")
    offering = [supply.by_code[code] for code in counts]
    nearest = min(offering, key=lambda r: distance_km(supply.by_code["FI195"], r))
    assert zero["gap"] == "none" and zero["nearest"]["nuts3"] == nearest.nuts3


def test_the_coming_terms_are_those_not_begun():
    import datetime as dt

    from aggregator.web.supply import coming_terms

    assert coming_terms(dt.date(2026, 12, 2), 3) == ["2027-spring", "2027-autumn", "2028-spring"]
    assert coming_terms(dt.date(2027, 3, 1), 2) == ["2027-autumn", "2028-spring"]
