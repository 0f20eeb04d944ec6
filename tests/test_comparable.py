"""Comparable across the border: education types, levels (given vs derived), ECTS with
estimate flags, regions, topic tags with their evidence, and the planners' canned queries."""

from __future__ import annotations

import sqlite_utils

from pipelines.normalise import ects, education_type, level
from pipelines.places import lookup, municipalities
from pipelines.topics import tag_texts
from spiders.items import Course
from tests.conftest import FIXTURES, datasette_get, run_cli
from tests.harness import OfflineRun

FOUR = FIXTURES / "opintopolku_fi" / "four_offerings" / "responses"
SUSA = FIXTURES / "susanavet_se" / "six_school_forms" / "responses"
PLANNED = FIXTURES / "plannededucations_se" / "municipality_filter" / "responses"


def by_id(run):
    return {c.source_id[-12:]: c for c in run.courses}


def test_education_types_share_one_vocabulary_and_keep_the_source_code():
    fi = by_id(OfflineRun("opintopolku_fi", FOUR).run())
    se = by_id(OfflineRun("susanavet_se", SUSA).run())
    assert {(c.education_type_source, c.education_type) for c in fi.values()} == {
        ("amm", "vocational_qualification"),
        ("amk", "uas_programme"),
        ("yo", "university_programme"),
        ("kk-opintojakso", "open_university"),
    }
    assert {(c.education_type_source, c.education_type) for c in se.values() if not c.removed} >= {
        ("HS", "university_course"),
        ("YH", "higher_vocational"),
        ("VUXGY", "upper_secondary_adult"),
        ("FHS", "folk_high_school"),
    }


def test_unknown_codes_are_kept_counted_and_not_guessed():
    course = Course(source="x", source_id="1", country="SE", education_type_source="NYTT")
    assert education_type(course) is None
    run = OfflineRun("susanavet_se", SUSA)
    from pipelines.normalise import NormalisePipeline

    pipeline = NormalisePipeline.from_crawler(run.crawler)
    pipeline.process_item(course)
    assert course.education_type is None and course.education_type_source == "NYTT"
    assert run.stats.get_value("aggregator/normalise/unknown/education_type") == 1


def test_eqf_given_is_never_presented_as_derived_and_derivations_say_how():
    fi = by_id(OfflineRun("opintopolku_fi", FOUR).run())
    assert fi["000000009101"].eqf_method.startswith("given")
    given = Course(country="FI", education_type_source="amm", eqf_level=4, level_source="eqf_4")
    assert level(given)[2].startswith("given")
    derived = Course(
        country="FI", education_type_source="amm", extras={"koulutustyyppi_path": "amm/erikoisammattitutkinto"}
    )
    assert level(derived) == (
        5,
        5,
        "derived from the qualification type: specialist vocational qualification (erikoisammattitutkinto): FiNQF 5",
    )
    master = Course(country="FI", education_type_source="amk", extras={"koulutus_codes": ["koulutus_751101"]})
    assert level(master)[0] == 7 and level(master)[2].startswith("derived")
    yh = Course(country="SE", education_type_source="YH", credits=400, credit_unit="yh-poäng")
    assert level(yh)[0] == 6 and "kvalificerad" in level(yh)[2]
    second_cycle = Course(country="SE", education_type_source="HS", extras={"education_levels": ["A1N"]})
    assert level(second_cycle)[0] == 7
    # no level, with the reason
    eqf, national, reason = level(Course(country="FI", education_type_source="tuva"))
    assert (eqf, national) == (None, None) and reason.startswith("no level:") and "TUVA" in reason
    assert level(Course(country="FI", education_type_source="amm", title="Ajoneuvoalan perustutkinto"))[0] == 4
    assert level(Course(country="FI", education_type_source="amm", title="Rakennusalan erikoisammattitutkinto"))[0] == 5
    assert (
        level(Course(country="FI", education_type_source="amk", title="Insinööri (ylempi AMK), energiavarastointi"))[0]
        == 7
    )
    assert level(Course(country="FI", education_type_source="lk"))[0] == 4
    assert level(Course(country="SE", education_type_source="FHS"))[2].startswith("no level: folk high school")


def test_ects_equivalents_flag_estimates_and_refuse_competence_points():
    assert ects(Course(credits=7.5, credit_unit="högskolepoäng")) == (
        7.5,
        False,
        "1 högskolepoäng = 1 ECTS credit (60 per academic year)",
    )
    assert ects(Course(credits=60, credit_unit="opintopiste"))[:2] == (60.0, False)
    assert ects(Course(credits=400, credit_unit="yh-poäng"))[:2] == (120.0, True)
    value, estimated, method = ects(Course(credits=180, credit_unit="osaamispiste"))
    assert value is None and "no ECTS equivalent" in method
    assert ects(Course(credits=5, credit_unit="kurssia")) == (None, None, None)


def test_swedish_municipalities_get_their_county_and_nuts3():
    se = {c.source_id: c for c in OfflineRun("susanavet_se", SUSA).run().courses}
    luleå = se["e.uoh.ltu.k0012k.20262"]
    assert (luleå.municipality_code, luleå.region, luleå.region_code, luleå.nuts3) == (
        "2580",
        "Norrbottens län",
        "25",
        "SE332",
    )
    stockholm = se["e.uoh.kth.sk2000.1"]  # area code 180: the lost zero restored, then the county
    assert (stockholm.municipality_code, stockholm.region, stockholm.nuts3) == ("0180", "Stockholms län", "SE110")
    planned = OfflineRun("plannededucations_se", PLANNED, {"municipalities": "2482,2480"}).run()
    assert {c.nuts3 for c in planned.courses} == {"SE331"}


def test_finnish_municipalities_get_their_region_and_nuts3():
    fi = by_id(OfflineRun("opintopolku_fi", FOUR).run())
    assert {(c.municipality_code, c.municipality, c.region_code, c.region, c.nuts3) for c in fi.values()} == {
        ("564", "Oulu", "17", "Pohjois-Pohjanmaa", "FI1D9"),
        ("272", "Kokkola", "16", "Keski-Pohjanmaa", "FI1D5"),
    }


def test_every_municipality_of_both_countries_has_a_region_and_nuts3():
    places = municipalities()
    finnish = [p for p in places.values() if p.country == "FI"]
    swedish = [p for p in places.values() if p.country == "SE"]
    assert (len(finnish), len(swedish)) == (309, 290)
    assert len({p.region_code for p in finnish}) == 19 and len({p.region_code for p in swedish}) == 21
    assert all(p.municipality and p.region and len(p.nuts3) == 5 for p in places.values())
    # the target regions, including the 2021 moves between maakunta (Iitti to Päijät-Häme,
    # Heinävesi to North Karelia, Joroinen to North Savo, Kuhmoinen to Pirkanmaa)
    assert {c: lookup("FI", c).region for c in ("142", "090", "171", "291", "285", "153", "905")} == {
        "142": "Päijät-Häme",
        "090": "Pohjois-Karjala",
        "171": "Pohjois-Savo",
        "291": "Pirkanmaa",
        "285": "Kymenlaakso",
        "153": "Etelä-Karjala",
        "905": "Pohjanmaa",
    }
    assert lookup("FI", "5").municipality == "Alajärvi" and lookup("FI", "049").municipality_sv == "Esbo"
    assert (lookup("SE", "2482").municipality, lookup("SE", "2482").nuts3) == ("Skellefteå", "SE331")
    assert lookup("SE", "180").municipality == "Stockholm"
    assert lookup("FI", "999") is None and lookup("SE", "0000") is None and lookup("FI", None) is None


def test_unknown_municipality_codes_are_kept_and_counted_and_town_names_kept_aside():
    from pipelines.normalise import NormalisePipeline

    run = OfflineRun("susanavet_se", SUSA)
    pipeline = NormalisePipeline.from_crawler(run.crawler)
    abroad = pipeline.process_item(
        Course(source="x", source_id="1", country="FI", municipality_code="200", municipality="Ulkomaa")
    )
    assert (abroad.municipality_code, abroad.municipality, abroad.region, abroad.nuts3) == (
        "200",
        "Ulkomaa",
        None,
        None,
    )
    assert run.stats.get_value("aggregator/normalise/unknown/municipality") == 1
    abisko = pipeline.process_item(
        Course(source="x", source_id="2", country="SE", municipality_code="2584", municipality="Abisko")
    )
    assert (abisko.municipality, abisko.region, abisko.extras["place_name"]) == ("Kiruna", "Norrbottens län", "Abisko")
    vasa = pipeline.process_item(
        Course(source="x", source_id="3", country="FI", municipality_code="905", municipality="Vasa")
    )
    assert vasa.municipality == "Vaasa" and "place_name" not in vasa.extras  # the Swedish name is the same place


def test_topic_tags_keep_their_evidence_and_respect_language():
    tags = {
        t.topic: t
        for t in tag_texts(
            {
                "title": ("Produktionstekniker batteritillverkning – distans", "sv"),
                "description": ("Svetsning och underhåll i batterifabrik.", "sv"),
            }
        )
    }
    assert tags["batteries_energy_storage"].terms == ("batterifabrik", "batteritillverkning")
    assert tags["batteries_energy_storage"].fields == ("title", "description")
    assert set(tags) == {"batteries_energy_storage", "welding_mechanical", "automation_maintenance"}
    # "akut" means batteries in Finnish but acute in Swedish; "hakkuu" (logging) contains "akku"
    assert tag_texts({"description": ("Förstavård för akut insjuknade patienter", "sv")}) == []
    assert [t.topic for t in tag_texts({"title": ("Akut ja niiden kierrätys", "fi")})] == [
        "batteries_energy_storage",
        "recycling_circular",
    ]
    assert tag_texts({"title": ("Hakkuu ja metsänhoito", "fi")}) == []
    assert [t.topic for t in tag_texts({"title": ("Vedyn tuotanto ja varastointi", "fi")})] == ["hydrogen"]
    # two-word phrases whose last word inflects (the misses the held-out descriptions showed)
    storage = tag_texts(
        {"description": ("Opinnoissa perehdyt sähköenergian varastoinnista digitaaliseen sähköverkkoon.", "fi")}
    )
    assert [(t.topic, t.terms) for t in storage][0] == ("batteries_energy_storage", ("sähköenergian varastoinnista",))
    assert [t.topic for t in tag_texts({"description": ("Kursen behandlar lagring av energi i vätgas.", "sv")})] == [
        "batteries_energy_storage",
        "hydrogen",
    ]
    assert tag_texts({"description": ("Logistik: transporter och lagring av gods.", "sv")}) == []


def test_maintenance_tags_only_in_an_industrial_context():
    topics = lambda text, lang: {t.topic for t in tag_texts({"description": (text, lang)})}  # noqa: E731
    # the real animal-care qualification: premises kept clean and in repair, not industrial maintenance
    assert "automation_maintenance" not in topics(
        "Eläinhoitolan osaamisalan suorittanut vastaa eläinten hoitotöiden lisäksi yrityksen toimitilojen puhtaana- ja "
        "kunnossapitotehtävistä, tarvikkeiden hankinnasta, varastojen ylläpidosta ja täydentämisestä.",
        "fi",
    )
    assert "automation_maintenance" not in topics("Fastighetsunderhåll och städning av lokaler.", "sv")
    assert "automation_maintenance" not in topics("Maintenance of school buildings and gardens.", "en")
    # the same words next to machines, plants and production, or in a compound that says so
    assert "automation_maintenance" in topics(
        "Työskentelet teollisuuden kunnossapitotöissä ja laitteiden huollossa.", "fi"
    )
    assert "automation_maintenance" in topics(
        "Kursen ger kunskaper i underhåll av maskiner och industriella anläggningar.", "sv"
    )
    assert "automation_maintenance" in topics("Preventive maintenance of production equipment.", "en")
    assert "automation_maintenance" in topics("Underhållstekniker", "sv")
    # strong terms need no context
    assert "automation_maintenance" in topics("Industriell automation", "sv")


def test_topics_are_stored_with_evidence_and_the_planner_queries_run(db_path):
    run_cli("--db", db_path, "crawl", "susanavet_se", "--replay", str(SUSA))
    run_cli("--db", db_path, "crawl", "opintopolku_fi", "--replay", str(FOUR))
    db = sqlite_utils.Database(db_path)
    rows = list(
        db.query(
            "select c.title, t.topic, t.matched_terms, t.matched_fields from course_topics t join courses c on c.id = "
            "t.course_id"
        )
    )
    battery = {r["title"] for r in rows if r["topic"] == "batteries_energy_storage"}
    assert {
        "Batterikemi",
        "Akkutekniikan muuntokoulutus, Kokkola 2027",
        "Produktionstekniker batteritillverkning – distans",
    } <= battery
    assert all(r["matched_terms"].startswith("[") and r["matched_fields"].startswith("[") for r in rows)
    supply = datasette_get(db_path, "/aggregator/supply_by_topic_region_level.json?_shape=array").json()
    assert any(r["topic"] == "Batteries and energy storage" and r["region"] == "Västerbottens län" for r in supply)
    soon = datasette_get(db_path, "/aggregator/starting_soon_in_topic.json?_shape=array&topic=batteries_energy_storage")
    assert soon.status_code == 200
    border = datasette_get(db_path, "/aggregator/across_the_border_languages.json?_shape=array").json()
    assert {r["title"] for r in border} >= {"Akkutekniikan muuntokoulutus, Kokkola 2027", "Batterikemi"}
    eqf = datasette_get(db_path, "/aggregator/battery_programmes_eqf_5_6.json?_shape=array").json()
    # Luleå's course (EQF 6, English), Skellefteå's YH programme (EQF 5, Swedish) and Centria's UAS
    # conversion programme, an engineer (AMK) degree: EQF 6 from the degree title in its name
    assert {r["title"] for r in eqf} == {
        "Batterikemi",
        "Produktionstekniker batteritillverkning – distans",
        "Akkutekniikan muuntokoulutus, Kokkola 2027",
    }
    facets = datasette_get(
        db_path, "/aggregator/courses.json?_facet=education_type&_facet=eqf_level&_facet_topic=topics&_size=0"
    ).json()
    assert {"education_type", "eqf_level", "topics"} <= set(facets["facet_results"])
