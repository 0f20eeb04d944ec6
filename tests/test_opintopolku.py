"""Opintopolku: the extraction rules for the real data's quirks, and the spider's behaviour on
errors, filters, headers and incremental runs."""

from __future__ import annotations

import json
import shutil

import pytest

from spiders.extract.common import local_to_iso
from spiders.extract.opintopolku import (
    ExtractionError,
    code_value,
    oids_from_sitemap,
    split_credits,
    strip_version,
    toteutus_to_course,
)
from tests.conftest import FIXTURES
from tests.harness import OfflineRun

FOUR = FIXTURES / "opintopolku_fi" / "four_offerings" / "responses"
TOTEUTUS = FOUR / "konfo-backend" / "external" / "toteutus"
KOULUTUS = FOUR / "konfo-backend" / "external" / "koulutus"


def doc(folder, oid):
    return json.loads((folder / oid).read_text("utf-8"))


def test_version_suffixes_are_stripped_from_code_uris():
    assert strip_version("kunta_186#2") == "kunta_186"
    assert code_value("kunta_186#2") == "186"
    assert code_value("oppilaitoksenopetuskieli_4#1") == "4"
    assert code_value(None) is None and code_value("nonsense") is None


@pytest.mark.parametrize(
    "raw, total, parts",
    [
        (240, 240.0, None),
        (180120, 300.0, [180, 120]),
        (210120, 330.0, [210, 120]),
        (5, 5.0, None),
        (None, None, None),
        ("abc", None, None),
        (-5, None, None),
        (123456789, None, None),
    ],
)
def test_concatenated_credits_are_split(raw, total, parts):
    assert split_credits(raw) == (total, parts)


def test_finnish_local_times_get_the_offset_of_their_day():
    assert local_to_iso("2026-06-01T08:00", "Europe/Helsinki") == "2026-06-01T08:00:00+03:00"
    assert local_to_iso("2027-01-11T08:00", "Europe/Helsinki") == "2027-01-11T08:00:00+02:00"
    assert local_to_iso("not a time", "Europe/Helsinki") is None


def test_sitemap_oids_are_deduplicated_across_languages():
    xml = (
        "".join(
            f"<url><loc>https://opintopolku.fi/konfo/{lang}/toteutus/1.2.246.562.17.0000000000000000000{n}</loc></url>"
            for n in (1, 2)
            for lang in ("fi", "sv", "en")
        )
        + "<url><loc>https://opintopolku.fi/konfo/fi/koulutus/1.2.246.562.13.00000000000000000009</loc></url>"
    )
    assert oids_from_sitemap(xml) == ["1.2.246.562.17.00000000000000000001", "1.2.246.562.17.00000000000000000002"]


def test_english_copy_of_the_finnish_title_is_flagged():
    course = toteutus_to_course(doc(TOTEUTUS, "1.2.246.562.17.00000000000000009101"))
    assert course.title_lang == "fi"
    assert "title:en" in course.copied_variants
    # a real English text is not flagged
    course = toteutus_to_course(doc(TOTEUTUS, "1.2.246.562.17.00000000000000009102"))
    assert course.copied_variants == ["title:sv"]
    assert course.title_i18n["en"].startswith("Battery Technology")


def test_english_only_listing_has_english_as_primary_language():
    course = toteutus_to_course(
        doc(TOTEUTUS, "1.2.246.562.17.00000000000000009104"), doc(KOULUTUS, "1.2.246.562.13.00000000000000009104")
    )
    assert (course.title_lang, course.description_lang) == ("en", "en")
    assert course.extras["is_open_university"] is True
    assert course.mode == "online" and course.fee_amount == 75


def test_missing_provider_name_stays_empty_rather_than_guessed():
    course = toteutus_to_course(
        doc(TOTEUTUS, "1.2.246.562.17.00000000000000009103"), doc(KOULUTUS, "1.2.246.562.13.00000000000000009103")
    )
    assert course.provider_name is None
    assert course.provider_id == "1.2.246.562.10.38864316104"
    assert course.credits == 300.0 and course.extras["credits_parts"] == [180, 120]
    assert course.start_term == "2027-autumn"  # only in hakutiedot


def test_documents_without_an_oid_are_rejected_with_a_reason():
    with pytest.raises(ExtractionError, match="oid"):
        toteutus_to_course({"nimi": {"fi": "x"}})
    with pytest.raises(ExtractionError):
        toteutus_to_course(["not", "an", "object"])


def _copy_four(tmp_path):
    target = tmp_path / "responses"
    shutil.copytree(FOUR, target)
    return target


def test_a_missing_koulutus_still_gives_the_course_and_is_counted(tmp_path):
    responses = _copy_four(tmp_path)
    (responses / "konfo-backend/external/koulutus/1.2.246.562.13.00000000000000009101").unlink()
    run = OfflineRun("opintopolku_fi", responses).run()
    ids = {c.source_id for c in run.courses}
    assert "1.2.246.562.17.00000000000000009101" in ids and len(ids) == 4
    course = next(c for c in run.courses if c.source_id.endswith("9101"))
    # programme facts missing, listing kept: no EQF given, so no "given" level
    assert course.level_source is None and course.title
    assert run.stats.get_value("aggregator/koulutus_missing") == 1


def test_server_errors_and_broken_json_are_counted_and_the_run_goes_on(tmp_path):
    responses = _copy_four(tmp_path)
    (responses / "konfo-backend/external/toteutus/1.2.246.562.17.00000000000000009102").write_text("{not json", "utf-8")
    (responses / "manifest.json").write_text(
        json.dumps(
            [
                {
                    "path": "/konfo-backend/external/toteutus/1.2.246.562.17.00000000000000009103",
                    "status": 500,
                    "body": "oops",
                }
            ]
        ),
        "utf-8",
    )
    run = OfflineRun("opintopolku_fi", responses).run()
    assert {c.source_id[-4:] for c in run.courses} == {"9101", "9104"}
    assert run.stats.get_value("aggregator/errors/invalid_json") == 1
    assert run.stats.get_value("aggregator/errors/http_500") == 1


def test_every_request_carries_caller_id_and_the_project_user_agent_setting():
    run = OfflineRun("opintopolku_fi", FOUR).run()
    assert run.requested
    for request in run.requested:
        assert request.headers.get("Caller-Id") == b"nordic-course-aggregator"
    assert "nordic-course-aggregator" in run.crawler.settings.get("USER_AGENT")
    assert "+http" in run.crawler.settings.get("USER_AGENT")


def test_each_koulutus_is_fetched_once_however_many_implementations_share_it(tmp_path):
    responses = _copy_four(tmp_path)
    toteutus_dir = responses / "konfo-backend/external/toteutus"
    sibling = doc(toteutus_dir, "1.2.246.562.17.00000000000000009101")
    sibling["oid"] = "1.2.246.562.17.00000000000000009105"
    (toteutus_dir / sibling["oid"]).write_text(json.dumps(sibling), "utf-8")
    sitemap = responses / "konfo-backend/sitemap/toteutus-sitemap.xml"
    sitemap.write_text(
        sitemap.read_text().replace(
            "</urlset>", f"<url><loc>https://opintopolku.fi/konfo/fi/toteutus/{sibling['oid']}</loc></url></urlset>"
        )
    )
    run = OfflineRun("opintopolku_fi", responses).run()
    koulutus_requests = [r.url for r in run.requested if "/koulutus/" in r.url]
    assert len(koulutus_requests) == len(set(koulutus_requests)) == 4
    assert len(run.courses) == 5


def test_search_filters_reach_the_api_and_paging_stops_at_the_total():
    case = FIXTURES / "opintopolku_fi" / "search_two_pages" / "responses"
    run = OfflineRun("opintopolku_fi", case, {"region": "17,16", "keyword": "akku"}).run()
    searches = [r.url for r in run.requested if "/search/" in r.url]
    assert len(searches) == 2
    assert "sijainti=maakunta_17%2Cmaakunta_16" in searches[0] and "keyword=akku" in searches[0]
    assert "size=200" in searches[0] and "page=1" in searches[0] and "page=2" in searches[1]
    assert run.spider.is_partial  # a filtered crawl must never mark the rest removed


def test_short_keywords_are_refused_before_any_request():
    with pytest.raises(ValueError, match="3 characters"):
        OfflineRun("opintopolku_fi", FOUR, {"keyword": "ab"})


def test_incremental_run_skips_documents_whose_modified_time_is_stored(db_path, tmp_path):
    from store.course_store import CourseStore
    from store.files import open_db

    first = OfflineRun("opintopolku_fi", FOUR).run()
    db = open_db(db_path)
    CourseStore(db, "opintopolku_fi", run_id=1).write(first.courses)
    # One listing changed in the source since: its stored modified time is older.
    db.execute("update courses set source_modified_at = '2020-01-01T00:00:00+02:00' where source_id like '%9102'")
    db.conn.commit()
    db.close()

    # the spider never opens the database: the runner hands it what it knows
    from aggregator.crawl import incremental_arguments

    arguments = incremental_arguments("opintopolku_fi", db_path, ["incremental=1"], str(tmp_path))
    assert arguments == [f"known_modified={tmp_path / 'opintopolku_fi-known-modified.json'}"]
    given = dict(a.split("=", 1) for a in ["incremental=1", *arguments])
    second = OfflineRun("opintopolku_fi", FOUR, given).run()
    assert sorted(s.source_id[-4:] for s in second.seen) == ["9101", "9103", "9104"]
    assert [c.source_id[-4:] for c in second.courses] == ["9102"]
    koulutus_requests = [r.url for r in second.requested if "/koulutus/" in r.url]
    assert len(koulutus_requests) == 1


def test_a_url_that_is_not_a_web_address_is_counted_and_the_listing_stored_without_one(tmp_path):
    responses = _copy_four(tmp_path)
    from pipelines.clean import CleanPipeline
    from pipelines.validate import ValidatePipeline

    run = OfflineRun("opintopolku_fi", responses)
    course = toteutus_to_course(doc(TOTEUTUS, "1.2.246.562.17.00000000000000009101"))
    course.url = "mailto:hakutoimisto@example.fi"
    course.source = "opintopolku_fi"
    CleanPipeline.from_crawler(run.crawler).process_item(course)
    assert course.url is None
    assert run.stats.get_value("aggregator/invalid/url") == 1
    # stored with no public page (its source document stays in source_url), and counted
    stored = ValidatePipeline.from_crawler(run.crawler).process_item(course)
    assert stored is course and stored.url is None
    assert run.stats.get_value("aggregator/missing/url") == 1
    assert run.stats.get_value("aggregator/dropped/no_url") is None


def test_a_known_modified_file_that_is_not_json_is_refused_with_its_name(tmp_path):
    broken = tmp_path / "known.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="known_modified"):
        OfflineRun("opintopolku_fi", FOUR, {"incremental": "1", "known_modified": str(broken)})
