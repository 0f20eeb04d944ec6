"""Provider web sites: reading facts out of pages, schema.org in its three syntaxes, a real crawl
of a recorded site on 127.0.0.1 (robots.txt, Crawl-delay, the page cache with sitemap lastmod
and conditional requests, links that never leave the machine), the nightly job with a site that
fails, and one offering listed by both a site and its register.

The sites are the written fixtures in tests/fixtures/schemaorg_courses and
tests/fixtures/site_example_college_fi (see tests/fixtures/README.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
import sqlite_utils

from aggregator.replay import ReplayServer
from spiders.extract import pages, schemaorg
from tests.conftest import FIXTURES, crawl_logs, datasette_get, run_cli

UAS = FIXTURES / "schemaorg_courses" / "uas_sitemap" / "responses"
COLLEGE = FIXTURES / "site_example_college_fi" / "short_courses" / "responses"


# --- facts in page text ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("2.5.-30.8.2023", ("2023-05-02", "2023-08-30")),
        ("12.1.–26.2.2027", ("2027-01-12", "2027-02-26")),
        ("1.12.2026–15.1.2027", ("2026-12-01", "2027-01-15")),
        ("12.-16.1.2027", ("2027-01-12", "2027-01-16")),
        ("2–6 maj 2027", ("2027-05-02", "2027-05-06")),
        ("23rd April 2023", ("2023-04-23", None)),
        ("April 5, 2027", ("2027-04-05", None)),
        ("12. tammikuuta 2027 – 3. maaliskuuta 2027", ("2027-01-12", "2027-03-03")),
        ("20. elokuuta 2027", ("2027-08-20", None)),
        ("3 sept 2027 - 20 dec 2027", ("2027-09-03", "2027-12-20")),
        ("18.8.2026 klo 9.00", ("2026-08-18", None)),
        ("2027-01-12", ("2027-01-12", None)),
        ("syksy 2027", (None, None)),  # a term is not a date
        ("15.10.", (None, None)),  # no year anywhere: not guessed
        ("31.2.2027", (None, None)),  # no such day
    ],
)
def test_dates_in_finnish_swedish_and_english(text, expected):
    assert pages.date_range(text) == expected


@pytest.mark.parametrize(
    "text, credits, unit, minimum",
    [
        ("5 ECTS credits", 5, "ects", None),
        ("5 op", 5, "opintopiste", None),
        ("7,5 hp", 7.5, "högskolepoäng", None),
        ("3–5 opintopistettä", 5, "opintopiste", 3),
        ("15 osp", 15, "osaamispiste", None),
        ("3 sp", 3, "opintopiste", None),
        ("200 YH-poäng", 200, "yh-poäng", None),
        ("Laajuus 10 op (270 h)", 10, "opintopiste", None),
        ("5", 5, None, None),
    ],
)
def test_credits_and_their_units(text, credits, unit, minimum):
    found = pages.credits(text)
    assert (found.credits, found.unit, found.minimum) == (credits, unit, minimum)


def test_hours_are_not_credits():
    assert pages.credits("40 h") is None


@pytest.mark.parametrize(
    "text, amount, currency, per",
    [
        ("EUR 12 / credit", 12, "EUR", "credit"),
        ("120 €", 120, "EUR", None),
        ("1 200 kr", 1200, "SEK", None),
        ("50 €/op", 50, "EUR", "credit"),
        ("Hinta 60 euroa", 60, "EUR", None),
        ("Maksuton", 0, None, None),
        ("Kostnadsfri", 0, None, None),
    ],
)
def test_prices(text, amount, currency, per):
    found = pages.price(text)
    assert (found.amount, found.currency, found.per) == (amount, currency, per)


def test_key_value_blocks_in_every_form_in_document_order():
    html = """<div><p>Time: 2.5.-30.8.2023<br>Place: Online studies<br>Extent: 5 ECTS credits<br>
    Enrolment by: 23rd April 2023<br>Price: EUR 12 / credit<br>Teacher: A. Example</p>
    <dl><dt>Opetuskieli</dt><dd>suomi</dd><dt>Hinta</dt><dd>50 €</dd></dl>
    <table><tr><th>Kurskod</th><td>AB12</td></tr></table><script>var x = "Price: 1 €";</script></div>"""
    facts = pages.key_values(html)
    assert facts == {
        "dates": "2.5.-30.8.2023",
        "place": "Online studies",
        "credits": "5 ECTS credits",
        "enrolment_end": "23rd April 2023",
        "price": "EUR 12 / credit",
        "teacher": "A. Example",
        "language": "suomi",
        "code": "AB12",
    }  # the first price wins; scripts are not text
    fields, extras = pages.listing_fields(facts)
    assert fields == {
        "start_date": "2023-05-02",
        "end_date": "2023-08-30",
        "mode": "online",
        "credits": 5.0,
        "credit_unit": "ects",
        "application_end": "2023-04-23",
        "fee_amount": 12.0,
        "fee_type": "fee",
        "instruction_languages": ["fi"],
    }
    assert (
        extras["fee_per"] == "credit"
        and extras["details"] == {"teacher": "A. Example"}
        and extras["course_code"] == "AB12"
    )


def test_unreadable_facts_are_kept_verbatim_not_guessed():
    fields, extras = pages.listing_fields({"dates": "syksyllä 2027", "credits": "40 h", "price": "kysy tarjous"})
    assert "start_date" not in fields and "credits" not in fields and "fee_amount" not in fields
    assert extras == {"unread_dates": "syksyllä 2027", "unread_credits": "40 h", "unread_price": "kysy tarjous"}


# --- schema.org --------------------------------------------------------------------------------
PAGE = schemaorg.Page(url="https://www.example.fi/k")


def _listings(html: str):
    return schemaorg.page_listings(html, PAGE)


def test_the_same_course_in_json_ld_and_microdata_is_one_listing():
    html = """<html lang="fi"><head><script type="application/ld+json">
    {"@context": "https://schema.org", "@type": "Course", "name": "Akkukemia", "hasCourseInstance": {"@type":
        "CourseInstance", "startDate": "2027-01-10"}}
    </script></head><body><div itemscope itemtype="https://schema.org/Course"><h1 itemprop="name">Akkukemia</h1>
    <div itemprop="hasCourseInstance" itemscope itemtype="https://schema.org/CourseInstance"><meta
        itemprop="startDate" content="2027-01-10"></div></div></body></html>"""
    found = _listings(html)
    assert [(c.title, c.start_date, c.title_lang) for c in found] == [("Akkukemia", "2027-01-10", "fi")]


def test_broken_json_ld_leaves_the_other_syntaxes_readable():
    html = """<html lang="sv"><head><script type="application/ld+json">{"@type": "Course", "name": "Trasig,,
        }</script></head>
    <body vocab="https://schema.org/"><div typeof="Course"><span property="name">Svetsning</span>
    <div property="hasCourseInstance" typeof="CourseInstance"><span
        property="startDate">2027-02-01</span></div></div></body></html>"""
    assert [(c.title, c.start_date) for c in _listings(html)] == [("Svetsning", "2027-02-01")]


def test_every_instance_is_a_listing_with_a_stable_distinct_id():
    # three distinct instances (the third repeats the first: given twice, counted once)
    html = """<html lang="en"><script type="application/ld+json">
    {"@context": "https://schema.org", "@type": "Course", "name": "Welding", "courseCode": "W1",
     "hasCourseInstance": [{"@type": "CourseInstance", "startDate": "2027-01-10", "location": "Oulu"},
                           {"@type": "CourseInstance", "startDate": "2027-01-10", "location": "Raahe"},
                           {"@type": "CourseInstance", "name": "Welding, evening group", "startDate": "2027-01-10",
                               "location": "Raahe"},
                           {"@type": "CourseInstance", "startDate": "2027-01-10", "location": "Oulu"}]}
    </script></html>"""
    ids = [c.source_id for c in _listings(html)]
    assert ids == [
        "https://www.example.fi/k#W1/2027-01-10/Oulu",
        "https://www.example.fi/k#W1/2027-01-10/Raahe",
        "https://www.example.fi/k#W1/2027-01-10/Raahe-2",
    ]
    assert ids == [c.source_id for c in _listings(html)]


def test_a_page_without_courses_gives_nothing():
    assert (
        _listings(
            "<html><body><h1>Uutiset</h1><script type='application/ld+json'>{\"@type\": "
            '"NewsArticle"}</script></body></html>'
        )
        == []
    )
    assert _listings("") == []


# --- the replay server ---------------------------------------------------------------------------
def test_replay_serves_recorded_sites_with_their_links_pointed_at_itself(tmp_path):
    with ReplayServer(UAS) as server:
        body = urlopen(server.base_url + "/www.akkuamk.example/sitemap_index.xml").read().decode()
        assert f"<loc>{server.base_url}/www.akkuamk.example/sitemap-courses.xml</loc>" in body
        assert "https://www.akkuamk.example" not in body
        robots = urlopen(server.base_url + "/www.akkuamk.example/robots.txt").read().decode()
        assert f"Sitemap: {server.base_url}/www.akkuamk.example/sitemap_index.xml" in robots
        page = urlopen(server.base_url + "/www.akkuamk.example/koulutus/akkuteknologian-perusteet")
        assert page.headers["Content-Type"].startswith("text/html")
        etag = page.headers["ETag"]
        again = Request(
            server.base_url + "/www.akkuamk.example/koulutus/akkuteknologian-perusteet", headers={"If-None-Match": etag}
        )
        with pytest.raises(Exception) as answer:  # urllib raises on 304
            urlopen(again)
        assert getattr(answer.value, "code", None) == 304


# --- a real crawl --------------------------------------------------------------------------------
def _site_copy(tmp_path: Path, source: Path, crawl_delay: str = "0.4") -> Path:
    folder = tmp_path / "site"
    shutil.copytree(source, folder)
    for robots in folder.glob("*/robots.txt"):
        robots.write_text(robots.read_text("utf-8").replace("Crawl-delay: 2", f"Crawl-delay: {crawl_delay}"), "utf-8")
    return folder


def _crawl_uas(db_path: str, server: ReplayServer, *extra: str):
    base = server.base_url + "/www.akkuamk.example"
    return run_cli(
        "crawl",
        "schemaorg_courses",
        "--db",
        db_path,
        "-a",
        f"sitemap_url={base}/robots.txt",
        "-a",
        f"base_url={base}",
        "-a",
        "site_url=https://www.akkuamk.example",
        "-a",
        "sitemap_follow=courses",
        "-a",
        "page_patterns=/koulutus/,/utbildning/,/courses/",
        *extra,
    )


def test_a_crawl_of_a_recorded_site_stores_one_listing_per_instance(tmp_path, db_path):
    folder = _site_copy(tmp_path, UAS)
    sitemap = folder / "www.akkuamk.example" / "sitemap-courses.xml"  # a page robots.txt disallows
    sitemap.write_text(
        sitemap.read_text("utf-8").replace(
            "</urlset>",
            "<url><loc>https://www.akkuamk.example/haku/koulutus/akku</loc></url>"  # robots.txt disallows it
            "<url><loc>https://www.elsewhere.example/koulutus/vieras</loc></url></urlset>",
        ),
        "utf-8",
    )  # another site
    with ReplayServer(folder) as server:
        _crawl_uas(db_path, server)
        paths = [r["path"] for r in server.requests]
    db = sqlite_utils.Database(db_path)
    rows = {r["source_id"].split("example", 1)[1]: r for r in db["courses"].rows_where("source = 'schemaorg_courses'")}
    assert sorted(rows) == [
        "/en/courses/battery-recycling#2027-03-01",
        "/koulutus/akkuteknologian-perusteet#AKT1001/2027-01-18/Kokkola",
        "/koulutus/akkuteknologian-perusteet#AKT1001/2027-08-30",
        "/koulutus/hitsauksen-ammattitutkinto#2027-01-11",
        "/koulutus/sahkotyoturvallisuus#2027-02-09/Oulu",
        "/sv/utbildning/batteriteknik-for-industrin#BAT-SV-12/2027-02-03",
    ]
    swedish = rows["/sv/utbildning/batteriteknik-for-industrin#BAT-SV-12/2027-02-03"]
    assert (
        swedish["title"],
        swedish["title_lang"],
        swedish["provider_name"],
        swedish["municipality_code"],
        swedish["country"],
        swedish["start_date"],
        swedish["credits"],
        swedish["credit_unit"],
        swedish["instruction_languages"],
        swedish["fee_amount"],
    ) == (
        "Batteriteknik för industrin",
        "sv",
        "Akku-yrkeshögskolan",
        "598",
        "FI",
        "2027-02-03",
        3.0,
        "opintopiste",
        '["sv"]',
        150.0,
    )
    assert (
        swedish["url"] == "https://www.akkuamk.example/sv/utbildning/batteriteknik-for-industrin"
    )  # the real address, not the replay's
    assert all(r["url"].startswith("https://www.akkuamk.example/") and r["description"] for r in rows.values())
    run = db["crawl_runs"].get(1)
    missing = json.loads(run["missing_fields"])
    assert missing["credits"] == 1 and missing["instruction_languages"] == 2  # the EducationEvent and the programme
    assert run["status"] == "flagged" or run["not_found"] == 1
    # discovery: robots.txt, the index, only the courses sitemap, only course pages, robots obeyed
    assert "/www.akkuamk.example/sitemap-news.xml" not in paths and not any(
        "/uutiset/" in p or "yhteystiedot" in p for p in paths
    )
    counters = json.loads(run["counters"])
    assert not any("/haku/" in p for p in paths) and counters["robots_forbidden"] == 1
    assert counters["offsite_links"] == 1 and not any(k.startswith("errors/") for k in counters)
    assert paths.count("/www.akkuamk.example/koulutus/akkuteknologian-perusteet") == 1
    assert db["sources"].get("schemaorg_courses")["kind"] == "provider_site"


def test_politeness_crawl_delay_and_an_unchanged_page_is_not_fetched_again(tmp_path, db_path):
    folder = _site_copy(tmp_path, UAS, crawl_delay="0.4")
    with ReplayServer(folder) as server:
        first = _crawl_uas(db_path, server)
        page_times = [
            r["at"]
            for r in server.requests
            if "/koulutus/" in r["path"] or "/courses/" in r["path"] or "/utbildning/" in r["path"]
        ]
        gaps = [b - a for a, b in zip(page_times, page_times[1:], strict=False)]
        assert gaps and min(gaps) >= 0.35, gaps  # robots.txt's Crawl-delay, not AutoThrottle's shorter start delay
        assert "'aggregator/politeness/crawl_delay': 0.4" in crawl_logs(first)
        server.requests.clear()
        _crawl_uas(db_path, server)
        second = {r["path"]: r for r in server.requests}
    # pages whose sitemap lastmod is older than the stored copy: not asked for at all
    assert "/www.akkuamk.example/koulutus/akkuteknologian-perusteet" not in second
    assert "/www.akkuamk.example/sv/utbildning/batteriteknik-for-industrin" not in second
    # a page without lastmod: asked for again with the validators, answered 304
    revalidated = second["/www.akkuamk.example/koulutus/sahkotyoturvallisuus"]
    assert revalidated["status"] == 304 and revalidated["headers"].get("If-None-Match")
    # sitemaps are always asked for again (conditionally)
    assert second["/www.akkuamk.example/sitemap-courses.xml"]["status"] == 304
    db = sqlite_utils.Database(db_path)
    runs = list(db["crawl_runs"].rows_where(order_by="id"))
    assert runs[1]["unchanged"] == 6 and runs[1]["new"] == 0 and runs[1]["changed"] == 0


def test_every_site_is_crawled_politely(tmp_path):
    from scrapy.utils.test import get_crawler

    from tests.harness import project_settings, spider_class

    cls = spider_class("site_centria_fi")
    offline = {"TWISTED_REACTOR_ENABLED": False, "TWISTED_REACTOR": None}  # as the harness: settings only, no crawl
    crawler = get_crawler(cls, {**project_settings(), **offline, "AGGREGATOR_DB": str(tmp_path / "aggregator.db")})
    settings = crawler.settings
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert (
        settings.getbool("ROBOTSTXT_OBEY")
        and settings.getbool("AUTOTHROTTLE_ENABLED")
        and settings.getbool("HTTPCACHE_ENABLED")
    )
    assert settings.get("HTTPCACHE_DIR") == str(tmp_path / "httpcache")
    assert "spiders.middlewares.RobotsCrawlDelayMiddleware" in settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert "spiders.middlewares.OffsiteRedirectMiddleware" in settings.getdict("DOWNLOADER_MIDDLEWARES")


def test_links_to_other_hosts_are_not_followed(tmp_path, db_path):
    folder = _site_copy(tmp_path, COLLEGE)
    with ReplayServer(folder) as server:
        done = run_cli(
            "crawl",
            "site_example_college_fi",
            "--db",
            db_path,
            "--base-url",
            server.base_url + "/www.college.example",
            check=False,
        )
        paths = [r["path"] for r in server.requests]
    assert not any("facebook" in p for p in paths)
    assert (
        paths.count("/www.college.example/lyhytkoulutukset/akkuasentajan-perusteet") == 1
    )  # linked twice, fetched once
    db = sqlite_utils.Database(db_path)
    assert db["courses"].count == 5
    run = db["crawl_runs"].get(1)
    assert run["status"] == "flagged" and "errors" in (run["note"] or "")  # the page that answers 500
    assert done.returncode == 1 and "not clean" in done.stderr


# --- the nightly job -----------------------------------------------------------------------------
def test_a_failing_provider_site_is_reported_and_keeps_its_rows(tmp_path, db_path):
    from aggregator.nightly import run_nightly

    healthy = _site_copy(tmp_path, COLLEGE)
    manifest = healthy / "manifest.json"
    manifest.write_text(
        json.dumps([e for e in json.loads(manifest.read_text("utf-8")) if e.get("status") != 500]), "utf-8"
    )
    with ReplayServer(healthy) as server:
        report = run_nightly(
            db_path,
            ["site_example_college_fi"],
            server.base_url,
            export_dir=None,
            echo=lambda m: None,
            translate=False,
            models=False,
        )
    assert report.ok and report.sources[0].status == "finished" and report.sources[0].items == 5
    db = sqlite_utils.Database(db_path)
    before = {r["id"]: r["content_hash"] for r in db["courses"].rows}
    assert len(before) == 5

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text(
        json.dumps([{"path": "/www.college.example*", "status": 500, "body": "down"}]), "utf-8"
    )
    lines: list[str] = []
    with ReplayServer(broken) as server:
        report = run_nightly(
            db_path,
            ["site_example_college_fi"],
            server.base_url,
            export_dir=None,
            echo=lines.append,
            translate=False,
            models=False,
        )
    assert report.ok, "a provider site's failure does not fail the job"
    assert report.sources[0].status in ("flagged", "failed") and report.reported_sites()
    assert {r["id"]: r["content_hash"] for r in db["courses"].rows_where("removed_at is null")} == before


def test_only_reviewed_sites_are_crawled_by_default():
    from aggregator.crawl import enabled_spider_names, spider_facts, spider_names
    from tests.harness import spider_class

    sites = [name for name in spider_names() if spider_facts(name)["kind"] == "provider_site"]
    assert len(sites) >= 8
    for name in sites:
        cls = spider_class(name)
        assert cls.site_url.startswith("https://") or name == "schemaorg_courses"
        if name in enabled_spider_names():
            assert cls.reviewed.strip(), f"{name} is enabled without a review note"
    assert {"opintopolku_fi", "susanavet_se", "plannededucations_se"} <= set(enabled_spider_names())


def test_a_site_file_is_short():
    source = (
        Path(__file__).resolve().parent.parent / "spiders" / "providers" / "site_example_college_fi.py"
    ).read_text("utf-8")
    assert len(source.splitlines()) < 40


# --- one offering, two sources ---------------------------------------------------------------------
def _store(db, source: str, kind: str, courses, run_id: int = 1):
    from store.course_store import CourseStore
    from store.rows import course_id
    from store.runs import register_source

    register_source(db, {"name": source, "kind": kind})
    for course in courses:
        course.source, course.id = source, course_id(source, course.source_id)
    store = CourseStore(db, source, run_id, kind=kind)
    store.write(courses)
    store.finish()
    return store


def _register_and_site_courses():
    from store.listing import Course

    register = [
        Course(
            source_id="1.2.246.562.17.00000000000000001111",
            title="Akkuteknologian perusteet",
            start_date="2027-01-18",
            provider_name="Centria-ammattikorkeakoulu",
            municipality_code="272",
            country="FI",
            title_i18n={"en": "Battery technology basics"},
        ),
        Course(
            source_id="1.2.246.562.17.00000000000000009876",
            title="Hitsaus",
            start_date="2027-01-11",
            provider_name="Centria-ammattikorkeakoulu",
            municipality_code="272",
            country="FI",
        ),
    ]
    site = [
        # same title (other case, spacing, punctuation), same day, same town: the register's offering
        Course(
            source_id="https://site/a#1",
            title="AKKUTEKNOLOGIAN  perusteet.",
            start_date="2027-01-18",
            provider_name="Centria University of Applied Sciences",
            municipality_code="272",
            country="FI",
            url="https://site/a",
        ),
        # the English title of the register's listing
        Course(
            source_id="https://site/b#1",
            title="Battery Technology Basics",
            start_date="2027-01-18",
            provider_name="Centria University of Applied Sciences",
            municipality_code="272",
            country="FI",
            url="https://site/b",
        ),
        # cites the register's OID, under another title
        Course(
            source_id="https://site/c#1",
            title="Hitsauksen täydennyskoulutus",
            start_date="2027-01-11",
            extras={"register_ids": ["1.2.246.562.17.00000000000000009876"]},
            country="FI",
            url="https://site/c",
        ),
        # same title and day but another town and provider: another offering
        Course(
            source_id="https://site/d#1",
            title="Akkuteknologian perusteet",
            start_date="2027-01-18",
            provider_name="Other College",
            municipality_code="564",
            country="FI",
            url="https://site/d",
        ),
    ]
    return register, site


def test_a_site_listing_of_a_register_offering_is_kept_beside_it(tmp_path):
    from store.files import open_db
    from store.rows import course_id

    db = open_db(tmp_path / "aggregator.db")
    register, site = _register_and_site_courses()
    _store(db, "opintopolku_fi", "register", register)
    store = _store(db, "site_centria_fi", "provider_site", site, run_id=2)
    assert [r["source_id"] for r in db["courses"].rows_where("source = 'site_centria_fi'")] == ["https://site/d#1"]
    kept = {r["source_id"]: r["duplicate_of"] for r in db["course_duplicates"].rows}
    basics, welding = (course_id("opintopolku_fi", c.source_id) for c in register)
    assert kept == {"https://site/a#1": basics, "https://site/b#1": basics, "https://site/c#1": welding}
    assert db["course_duplicates"].get(course_id("site_centria_fi", "https://site/a#1"))["url"] == "https://site/a"
    assert store.counts["duplicates"] == 3 and store.counts["new"] == 1
    # the register's row page names the provider's pages of the same offering
    db.conn.commit()
    page = datasette_get(str(tmp_path / "aggregator.db"), f"/aggregator/courses/{basics}")
    assert page.status_code == 200
    assert (
        page.text.count("also listed by") == 2
        and 'href="https://site/a"' in page.text
        and 'href="https://site/b"' in page.text
    )


def test_a_register_crawled_after_the_site_takes_over_its_listings(tmp_path):
    from store.files import open_db

    db = open_db(tmp_path / "aggregator.db")
    register, site = _register_and_site_courses()
    _store(db, "site_centria_fi", "provider_site", site)
    assert db["courses"].count == 4
    store = _store(db, "opintopolku_fi", "register", register, run_id=2)
    assert store.counts["duplicates_absorbed"] == 3
    assert sorted(r["source"] for r in db["courses"].rows) == ["opintopolku_fi", "opintopolku_fi", "site_centria_fi"]
    assert db["course_duplicates"].count == 3


def test_a_generic_crawl_without_a_site_is_one_line_of_advice(db_path):
    done = run_cli("crawl", "schemaorg_courses", "--db", db_path, check=False)
    assert done.returncode == 2 and "needs -a sitemap_url=" in done.stderr and "Traceback" not in done.stderr
    done = run_cli(
        "crawl",
        "schemaorg_courses",
        "--db",
        db_path,
        "-a",
        "sitemap_url=https://www.example.fi/sitemap.xml",
        "-a",
        "country=DE",
        check=False,
    )
    assert done.returncode == 2 and "country must be FI or SE" in done.stderr and "Traceback" not in done.stderr


def test_an_export_with_a_provider_site_passes_the_data_package_validator(tmp_path, db_path):
    from frictionless import Package

    run_cli("--db", db_path, "crawl", "site_example_college_fi", "--replay", str(COLLEGE), check=False)
    run_cli("--db", db_path, "export", "--out", str(tmp_path / "exports"))
    package = json.loads((tmp_path / "exports" / "datapackage.json").read_text("utf-8"))
    assert {"spider": "site_example_college_fi", "kind": "provider_site"}.items() <= package["sources"][0].items()
    report = Package(str(tmp_path / "exports" / "datapackage.json")).validate()
    assert report.valid, report.flatten(["type", "note"])[:5]


def test_a_broken_sitemap_is_a_counted_error_and_a_gzipped_one_is_read(tmp_path):
    import gzip

    from tests.harness import OfflineRun

    site = tmp_path / "responses" / "www.akkuamk.example"
    shutil.copytree(UAS / "www.akkuamk.example", site)
    (site / "sitemap_index.xml").write_text(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>https://www.akkuamk.example/sitemap-courses.xml.gz</loc></sitemap>"
        "<sitemap><loc>https://www.akkuamk.example/sitemap-broken.xml</loc></sitemap></sitemapindex>",
        "utf-8",
    )
    (site / "sitemap-courses.xml.gz").write_bytes(gzip.compress((site / "sitemap-courses.xml").read_bytes()))
    (site / "sitemap-broken.xml").write_text("<html><body>Maintenance break</body>", "utf-8")
    run = OfflineRun(
        "schemaorg_courses",
        tmp_path / "responses",
        {
            "sitemap_url": "http://replay.test/www.akkuamk.example/sitemap_index.xml",
            "base_url": "http://replay.test/www.akkuamk.example",
            "site_url": "https://www.akkuamk.example",
            "page_patterns": "/koulutus/,/utbildning/,/courses/",
        },
    ).run()
    stats = run.aggregator_stats()
    assert len(run.courses) == 6  # the gzipped sitemap's pages
    assert stats["aggregator/errors/invalid_sitemap"] == 1
