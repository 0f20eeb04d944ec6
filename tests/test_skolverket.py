"""Sweden: Susa-navet (EMIL 3) and Planned Educations — value parsing, the join, the request
pattern, personal data, and the whole path over the real samples."""

from __future__ import annotations

import json

import pytest
import sqlite_utils

from aggregator.sample_replay import build_skolverket_replay
from spiders.extract.skolverket import lang_code, lang_strings, number, planned_date, scb_code, uncdata
from tests.conftest import FIXTURES, run_cli
from tests.harness import OfflineRun

SUSA = FIXTURES / "susanavet_se" / "six_school_forms" / "responses"
PLANNED = FIXTURES / "plannededucations_se" / "municipality_filter" / "responses"


@pytest.mark.parametrize(
    "raw, code",
    [
        (180, "0180"),
        ("0180", "0180"),
        ("2482", "2482"),
        (2482.0, "2482"),
        ("12345", None),
        ("abc", None),
        (None, None),
        (True, None),
    ],
)
def test_scb_codes_get_their_leading_zero_back(raw, code):
    assert scb_code(raw) == code


def test_language_codes_and_langstrings():
    assert [lang_code(c) for c in ("swe", "eng", "fin", "SWE", "sv", "xxx", None)] == [
        "sv",
        "en",
        "fi",
        "sv",
        "sv",
        None,
        None,
    ]
    legacy = {
        "strings": [
            {"lang": "swe", "content": "Gammal text"},
            {"lang": "eng", "value": "<p>New</p>", "content": "HTML"},
        ]
    }
    assert lang_strings(legacy) == {"sv": "Gammal text", "en": "<p>New</p>"}
    assert lang_strings(None) == {} and lang_strings({"strings": "broken"}) == {}


def test_planned_educations_value_quirks():
    assert planned_date("2024-10-15T00:00:00.000+02:00") == ("2024-10-15", False)
    assert planned_date("2024-11-28T23:59:59") == ("2024-11-28", False)
    assert planned_date("2099-12-31T00:00:00") == (None, True)
    assert planned_date(None) == (None, False)
    assert [number(v) for v in ("100.0", "null", "7,5", "", None, 12)] == [100.0, None, 7.5, None, None, 12.0]
    assert uncdata("<![CDATA[Engelska 5]]>") == "Engelska 5" and uncdata('Kurs "A"') == 'Kurs "A"'


def test_susanavet_reads_providers_and_infos_once_then_every_event_page():
    run = OfflineRun("susanavet_se", SUSA, {"municipalities": "2482,2480,2580,2421"}).run()
    paths = [r.url.split("?")[0].rsplit("/", 1)[1] for r in run.requested]
    assert paths == ["educationProviders", "educationInfos", "educationEvents", "educationEvents"]
    assert "size=2000" in run.requested[-1].url and "page=1" in run.requested[-1].url


def test_susanavet_join_deleted_records_and_missing_titles():
    run = OfflineRun("susanavet_se", SUSA, {"municipalities": "2482,2480,2580,2421"}).run()
    by_id = {c.source_id: c for c in run.courses}
    komvux = by_id["e.sv.vuxgy.svetsning.2480"]
    assert komvux.title == "Svetsning MIG/MAG"  # the event has none: its info's title
    assert (komvux.start_date, komvux.start_term, komvux.rolling_admission) == (None, "individual", True)
    assert by_id["e.sv.deleted.2482.1"].removed
    university = by_id["e.uoh.ltu.k0012k.20262"]
    assert university.title_i18n["en"] == "Battery Chemistry" and university.credit_unit == "högskolepoäng"
    assert university.description.startswith("Kursen behandlar litiumjonbatterier")  # HTML flagged
    assert by_id["e.sv.yh.battprod.2482.20262"].url == "https://www.skelleftea.se/yh/batteri"  # scheme added
    assert "e.uoh.kth.sk2000.1" not in by_id  # 180 -> 0180 Stockholm, not a wanted municipality


def test_no_personal_email_address_is_kept():
    run = OfflineRun("susanavet_se", SUSA).run()
    for course in run.courses:
        assert "@" not in json.dumps(course.__dict__, ensure_ascii=False, default=str), course.source_id


def test_planned_educations_filters_per_municipality_with_the_v4_media_type():
    run = OfflineRun("plannededucations_se", PLANNED, {"municipalities": "2482,2480"}).run()
    listings = [r for r in run.requested if r.url.split("?")[0].endswith("/adult-education-events")]
    assert sorted(r.url.split("geographicalAreaCode=")[1][:4] for r in listings) == ["2480", "2482"]
    for request in run.requested:
        assert request.headers["Accept"] == b"application/vnd.skolverket.plannededucations.api.v4.hal+json"
    by_id = {c.source_id: c for c in run.courses}
    assert "e.IST.0180WRONG" not in by_id
    assert by_id["e.IST.2482MATFLEX1"].pace_percent is None and by_id["e.IST.2482MATFLEX1"].rolling_admission
    assert by_id["e.IST.2482ELBATT01"].title == "Elteknik för batteriproduktion"  # CDATA stripped, 503 detail
    detailed = by_id["e.myh.40001"]
    assert detailed.url == "https://www.skelleftea.se/yh/processoperator"
    assert "processteknik. Du gör" in detailed.description


def test_bad_arguments_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="SCB codes"):
        OfflineRun("susanavet_se", SUSA, {"municipalities": "Skellefteå"})
    with pytest.raises(ValueError, match="v3 or v4"):
        OfflineRun("plannededucations_se", PLANNED, {"api_version": "v9"})


def test_both_swedish_spiders_over_the_real_samples(samples_dir, tmp_path, db_path):
    replay = tmp_path / "replay"
    counts = build_skolverket_replay(samples_dir, replay)
    run_cli("--db", db_path, "crawl", "susanavet_se", "plannededucations_se", "--replay", str(replay))
    db = sqlite_utils.Database(db_path)
    rows = {(r["source"], r["source_id"]): r for r in db["courses"].rows}
    susa = [r for (s, _), r in rows.items() if s == "susanavet_se"]
    planned = [r for (s, _), r in rows.items() if s == "plannededucations_se"]
    assert len(planned) == counts["adult-education-events"]
    # every ACTIVE sample event is stored; the deleted one is not
    events = json.loads((replay / "susa-navet/emil3/educationEvents").read_text("utf-8"))["educationEvents"]
    active = {e["id"] for e in events if e["status"] == "ACTIVE"}
    assert {r["source_id"] for r in susa} == active
    for event in events:
        if event["status"] != "ACTIVE":
            continue
        row = rows[("susanavet_se", event["id"])]
        titles = {s["value"] for s in event["content"]["title"]["strings"]}
        assert row["title"] in titles
        assert row["municipality_code"] == event["content"]["locations"][0]["areaCode"].zfill(4)
    listed = json.loads((replay / "recorded/planned_adult_education_events.json").read_text("utf-8"))
    for event in listed["body"]["_embedded"]["listedAdultEducationEvents"]:
        row = rows[("plannededucations_se", event["educationEventId"])]
        assert row["provider_name"] == event["providerName"]
        assert "CDATA" not in row["title"] and row["title"] in event["titleSv"]
        assert row["municipality_code"] == event["geographicalAreaCode"]
    assert all(r["status"] == "finished" for r in db["crawl_runs"].rows)


def test_susanavet_end_to_end_marks_a_deleted_record_removed(db_path, tmp_path):
    import shutil

    replay = tmp_path / "replay"
    shutil.copytree(SUSA, replay)
    manifest = json.loads((replay / "manifest.json").read_text("utf-8"))
    first, second = manifest[0]["body"], manifest[1]["body"]
    deleted = second["educationEvents"][1]
    second["educationEvents"][1] = {
        "id": deleted["id"],
        "status": "ACTIVE",
        "content": {**first["educationEvents"][1]["content"], "identifier": deleted["id"]},
    }
    (replay / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    run_cli("--db", db_path, "crawl", "susanavet_se", "--replay", str(replay))  # the record exists
    run_cli("--db", db_path, "crawl", "susanavet_se", "--replay", str(SUSA))  # ... then is deleted
    db = sqlite_utils.Database(db_path)
    row = db.execute("select removed_at from courses where source_id = ?", [deleted["id"]]).fetchone()
    assert row[0] is not None
    last = list(db["crawl_runs"].rows_where(order_by="id desc", limit=1))[0]
    assert last["removed"] == 1 and db["courses"].count == 6


def test_incremental_nightly_reads_only_the_change_feed_and_takes_deletions_from_it(db_path, tmp_path):
    import shutil

    run_cli("--db", db_path, "crawl", "susanavet_se", "--replay", str(SUSA))
    db = sqlite_utils.Database(db_path)
    active = [r[0] for r in db.execute("select source_id from courses where removed_at is null order by source_id")]
    gone = active[0]
    # the change feed (updatedSince) since the last clean run: one event deleted, nothing else
    replay = tmp_path / "replay"
    shutil.copytree(SUSA, replay)
    manifest = json.loads((replay / "manifest.json").read_text("utf-8"))
    feed = {
        "links": [],
        "educationEvents": [{"id": gone, "status": "DELETED", "content": None}],
        "page": {"size": 2000, "totalElements": 1, "totalPages": 1, "pageNumber": 0},
    }
    manifest.insert(0, {"path": "/susa-navet/emil3/educationEvents", "query": {"updatedSince": "*"}, "body": feed})
    (replay / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    result = run_cli(
        "--db", db_path, "nightly", "--incremental", "--only", "susanavet_se", "--replay", str(replay), "--no-export"
    )
    assert result.returncode == 0, result.stderr
    rows = {r[0]: r[1] for r in db.execute("select source_id, removed_at from courses")}
    assert rows[gone] is not None
    assert all(rows[s] is None for s in active[1:])  # not in the feed: unchanged, not removed
    last = list(db["crawl_runs"].rows_where(order_by="id desc", limit=1))[0]
    assert (last["status"], last["items"], last["removed"]) == ("finished", 0, 1)
