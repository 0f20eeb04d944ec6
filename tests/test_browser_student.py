"""The site as a student uses it, on a laptop (1,366 px) and a phone (390 px): every page type opens
at both widths with a title that is not SQL; the phone's table cards are labelled with their own
column; a listing of each register says how to apply and what a student from the other country needs
to know; values are words, not codes; "welding" finds the welding-tagged listings; feeds are valid
when empty; a visitor's mistakes answer 4xx and leave one log line each, no traceback; robots.txt
reads the same to Python's parser and to Protego; a stored javascript: URL is never a link.

One demo database (the recorded responses of every source, as tests/test_browser.py builds it), one
server whose output this module reads, one browser. Screenshots go to AGGREGATOR_SCREENSHOTS or a
temporary folder (printed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import urllib.robotparser
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlite_utils
from bs4 import BeautifulSoup

from aggregator.publish import free_port, serve_command, wait_until_answering
from aggregator.snapshot import snapshot
from aggregator.web.search import plain_words
from tests import test_browser as shared
from tests.conftest import run_cli
from tests.test_browser import CRAWLS, new_page

browser = shared.browser  # one Chromium fixture for every browser test module

WIDTHS = {"laptop": 1366, "phone": 390}
HOSTILE_URL = "javascript:alert(document.cookie)"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(base URL, published database, server log path): the demo database with one listing's page
    address replaced, in the database itself, by a javascript: URL."""
    folder = tmp_path_factory.mktemp("student-site")
    db_path = folder / "aggregator.db"
    for spider, responses, arguments in CRAWLS:
        run_cli("--db", str(db_path), "crawl", spider, "--replay", str(responses), *arguments, check=False)
    db = sqlite_utils.Database(db_path)
    hostile = db.execute("select min(id) from courses where source like 'site_%'").fetchone()[0]
    db.execute("update courses set url = ? where id = ?", [HOSTILE_URL, hostile])
    db.conn.commit()
    published = snapshot(db_path, folder / "public" / "aggregator.db")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            serve_command(sys.executable, str(published), "127.0.0.1", port, workers=1, immutable=True),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_until_answering(base, server, 60, lambda: log.read_text())
            yield base, published, log, hostile
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture(scope="module")
def screenshots():
    folder = Path(os.environ.get("AGGREGATOR_SCREENSHOTS") or tempfile.mkdtemp(prefix="student-screenshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


def get(base: str, path: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(base + path) as answer:
            return answer.status, answer.read().decode("utf-8"), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8"), dict(error.headers)


def listing_of(published: Path, where: str) -> dict:
    db = sqlite_utils.Database(published)
    rows = list(db.query(f"select * from courses where {where} order by id limit 1"))
    assert rows, where
    return rows[0]


def page_types(published: Path) -> dict[str, tuple[str, int]]:
    """name -> (path, expected status): every kind of page a visitor meets."""
    finnish = listing_of(published, "source = 'opintopolku_fi'")["id"]
    susa = listing_of(published, "source = 'susanavet_se'")["id"]
    planned = listing_of(published, "source = 'plannededucations_se'")["id"]
    return {
        "home": ("/", 200),
        "database": ("/aggregator", 200),
        "courses": ("/aggregator/courses", 200),
        "courses-faceted": ("/aggregator/courses?country=SE&_facet_topic=topics", 200),
        "courses-search": ("/aggregator/courses?_search=welding", 200),
        "row-finnish": (f"/aggregator/courses/{finnish}", 200),
        "row-susanavet": (f"/aggregator/courses/{susa}", 200),
        "row-planned": (f"/aggregator/courses/{planned}", 200),
        "query-new_listings": ("/aggregator/new_listings?q=&country=&region=&topic=", 200),
        "query-across_the_border_languages": ("/aggregator/across_the_border_languages", 200),
        "query-supply": ("/aggregator/supply_by_topic_region_level", 200),
        "query-map": ("/aggregator/battery_green_across_the_border", 200),
        "view-english_coverage": ("/aggregator/english_coverage", 200),
        "view-language_disagreements": ("/aggregator/language_disagreements", 200),
        "sql-query": ("/aggregator?sql=" + quote("select id, title from courses limit 3"), 200),
        "error-not-found": ("/aggregator/courses/no-such-listing", 404),
    }


def test_every_page_type_at_laptop_and_phone_width_with_a_title_that_is_not_sql(browser, demo, screenshots):
    base, published, _, _ = demo
    for width in WIDTHS.values():
        page = new_page(browser, base, viewport={"width": width, "height": 900})
        for name, (path, status) in page_types(published).items():
            answer = page.goto(base + path)
            assert answer.status == status, (name, width)
            title = page.title()
            assert title and "select " not in title.lower() and " from " not in title.lower(), (name, title)
            # nothing wider than the window: a phone reader never scrolls sideways to read a page
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 2, (name, width, overflow)
            page.screenshot(path=str(screenshots / f"{name}-{width}.png"))
        page.close()


def test_on_a_phone_every_card_label_of_the_courses_table_is_its_own_columns(browser, demo):
    base, published, _, _ = demo
    page = new_page(browser, base, viewport={"width": 390, "height": 900})
    for path in ("/aggregator/courses", "/aggregator/courses?_allcolumns=1", "/aggregator/new_listings?q="):
        page.goto(base + path)
        cards = page.evaluate("""() => {
            const heading = {};
            for (const th of document.querySelectorAll("table.rows-and-columns th")) {
                heading[th.dataset.column] = th.textContent.replace(/[▼▲]/g, "").trim();
            }
            return [...document.querySelectorAll("table.rows-and-columns td")]
                .filter(td => getComputedStyle(td).display !== "none")
                .map(td => [td.className.split(" ")[0].replace("col-", ""),
                            getComputedStyle(td, "::before").content.replace(/^"|"$/g, ""),
                            heading[td.className.split(" ")[0].replace("col-", "")]]);
        }""")
        assert cards, path
        for column, label, heading in cards:
            assert label == heading, (path, column, label, heading)
    page.close()


def test_a_listing_of_each_register_says_how_to_apply_from_the_other_country(browser, demo):
    base, published, _, _ = demo
    page = new_page(browser, base, viewport={"width": 1366, "height": 900})
    for source, other in (
        ("opintopolku_fi", "Sweden"),
        ("susanavet_se", "Finland"),
        ("plannededucations_se", "Finland"),
    ):
        db = sqlite_utils.Database(published)
        for row in db.query("select * from courses where source = ? order by id", [source]):
            extras = json.loads(row["extras"] or "{}")
            page.goto(f"{base}/aggregator/courses/{row['id']}")
            section = page.locator("section#across-the-border")
            assert section.is_visible(), row["id"]
            text = section.inner_text()
            assert f"Studying here from {other}" in text
            for heading in ("Who can apply", "Language", "Fees", "How and when to apply", "Student aid"):
                assert heading in text
            # each rule names its official source and the day it was checked, or says it is not known
            assert section.locator(".rule-source a[href^='https://'], .rule-unknown a[href^='https://']").count() == 5
            has_address_or_period = bool(
                row["url"] or extras.get("application_url") or row["application_start"] or row["application_end"]
            ) or bool(row["rolling_admission"])
            apply = page.locator("a#apply")
            assert apply.count() == (1 if has_address_or_period else 0), row["id"]
            if has_address_or_period:
                href = apply.get_attribute("href")
                assert href.startswith("https://") or href.startswith("http://")
                if extras.get("application_url"):
                    assert href == extras["application_url"]
                if source == "opintopolku_fi":
                    declared = set(extras.get("kielivalinta") or []) | set(json.loads(row["title_i18n"] or "{}"))
                    language = "en" if "en" in declared else "sv" if "sv" in declared else "fi"
                    assert f"/konfo/{language}/" in href, (href, declared)
    page.close()


def test_no_table_cell_facet_value_or_row_fact_shows_a_raw_code_that_has_a_label(demo):
    base, published, _, _ = demo
    db = sqlite_utils.Database(published)
    labels = {(r["column"], r["value"]): r["label"] for r in db.query("select * from value_labels")}
    coded = {c for c, v in labels if labels[(c, v)] != v}
    rows = list(db.query("select * from courses where removed_at is null"))
    # the raw codes the demo's listings hold that have a label: what must never be shown as such
    raw_codes: dict[str, set[str]] = {}
    for row in rows:
        for column in coded & set(row):
            value = row[column]
            values = json.loads(value) if isinstance(value, str) and value.startswith("[") else [value]
            for v in values:
                if v is not None and (column, str(v)) in labels and labels[(column, str(v))] != str(v):
                    raw_codes.setdefault(column, set()).add(str(v))
    assert {"education_type", "country", "fee_type", "instruction_languages"} <= set(raw_codes), raw_codes
    print("raw codes with labels in the demo:", {c: sorted(v) for c, v in raw_codes.items()})
    _, html, _ = get(base, "/aggregator/courses?_size=100&_allcolumns=1&_facet_counted=source")
    soup = BeautifulSoup(html, "html.parser")
    cells = soup.select("table.rows-and-columns td")
    assert len(cells) > 100
    for td in cells:
        column = td["class"][0].removeprefix("col-")
        shown = td.get_text(" ", strip=True)
        assert shown not in raw_codes.get(column, ()), (column, shown)
        if column in ("instruction_languages", "study_forms", "teaching_times"):
            assert '["' not in shown, (column, shown)
    facet_values = [li.get_text(" ", strip=True) for li in soup.select(".facet-results li a")]
    assert facet_values
    every_code = set().union(*raw_codes.values())
    label_words = {w.strip("(),;").lower() for label in labels.values() for w in label.split()}
    for value in facet_values:
        assert value.rsplit(" ", 1)[0] not in every_code, value
    for row in rows:
        _, html, _ = get(base, f"/aggregator/courses/{row['id']}")
        facts = BeautifulSoup(html, "html.parser").select_one("dl.listing-facts")
        for dd in facts.select("dd"):
            words = dd.get_text(" ", strip=True)
            assert '["' not in words and "tuition_fee" not in words, words
            for column, codes in raw_codes.items():
                for code in codes:
                    if code.lower() in label_words or code in labels[(column, code)]:
                        continue  # a word of a label itself ("Finland (FI)", "Blended (campus and distance)")
                    assert f" {code} " not in f" {words.replace(',', ' ').replace('(', ' ').replace(')', ' ')} ", (
                        row["id"],
                        column,
                        code,
                        words,
                    )


def test_welding_finds_the_welding_tagged_listings(demo):
    base, published, _, _ = demo
    tagged = {
        r["course_id"]
        for r in sqlite_utils.Database(published).query(
            "select t.course_id from course_topics t join courses c on c.id = t.course_id"
            " where t.topic = 'welding_mechanical' and c.removed_at is null"
        )
    }
    assert tagged
    _, body, _ = get(base, "/aggregator/courses.json?_search=welding&_shape=array&_size=max&_col=id")
    assert tagged <= {r["id"] for r in json.loads(body)}


def test_a_saved_search_feed_is_valid_atom_with_or_without_matches(demo):
    import feedparser

    base, published, _, _ = demo
    status, body, headers = get(
        base, "/aggregator/new_listings.atom?q=" + quote("tandläkare") + "&country=&region=&topic="
    )
    assert status == 200 and "atom" in {k.lower(): v for k, v in headers.items()}["content-type"]
    empty = feedparser.parse(body)
    assert not empty.bozo, empty.bozo_exception
    assert empty.entries == [] and empty.feed.author and empty.feed.id.startswith("http")
    status, body, _ = get(base, "/aggregator/new_listings.atom?q=&country=&region=&topic=")
    full = feedparser.parse(body)
    assert status == 200 and not full.bozo
    current = sqlite_utils.Database(published).execute("select count(*) from courses where removed_at is null")
    assert len(full.entries) == min(100, current.fetchone()[0])
    for entry in full.entries:
        assert entry.id.startswith(base + "/aggregator/courses/"), entry.id
        assert entry.title and entry.updated


def test_visitor_mistakes_answer_4xx_in_the_sites_layout_and_log_one_line_each(demo):
    base, _, log, _ = demo
    before = log.read_text()
    mistakes = {
        "/aggregator/courses?_search=%22": 200,
        "/aggregator/new_listings?q=%22&country=&region=&topic=": 200,
        "/aggregator/courses?_sort=no_such_column": 400,
        "/no-such-database": 404,
        "/aggregator/courses/no-such-listing": 404,
        "/aggregator/courses.json?_sort=no_such_column": 400,
    }
    for path, status in mistakes.items():
        answer, html, _ = get(base, path)
        assert answer == status, path
        if status >= 400 and not path.split("?")[0].endswith(".json"):
            soup = BeautifulSoup(html, "html.parser")
            assert soup.select_one("link[href*='aggregator.css']"), path  # the site's layout
            assert soup.select_one(".error-sentence").get_text(strip=True), path
            assert soup.select_one(".error-ways a[href='/']"), path
    logged = log.read_text()[len(before) :]
    assert "Traceback" not in logged and "│" not in logged, logged[:2000]
    assert len([line for line in logged.splitlines() if line.strip()]) <= 4 * len(mistakes), logged


def test_robots_rules_read_the_same_to_pythons_parser_and_to_protego(demo):
    from protego import Protego

    base, published, _, _ = demo
    _, rules, _ = get(base, "/robots.txt")
    python = urllib.robotparser.RobotFileParser()
    python.parse(rules.splitlines())
    protego = Protego.parse(rules)
    listing = listing_of(published, "1")["id"]
    expected = {
        "/": True,
        f"/aggregator/courses/{listing}": True,
        "/aggregator/courses?country=FI": False,
        "/aggregator/courses?_search=batteri": False,
        "/aggregator/courses.json": False,
        "/aggregator/courses.csv?_stream=on": False,
        "/aggregator/new_listings.atom?q=x": False,
        "/aggregator.json?sql=select+1": False,
        "/-/versions": False,
    }
    for path, allowed in expected.items():
        assert python.can_fetch("*", base + path) is allowed, path
        assert protego.can_fetch(base + path, "*") is allowed, path


def test_a_stored_javascript_url_is_text_not_a_link(demo):
    base, _, _, hostile = demo
    _, html, _ = get(base, f"/aggregator/courses/{hostile}")
    soup = BeautifulSoup(html, "html.parser")
    assert not [a for a in soup.select("a[href]") if a["href"].strip().lower().startswith("javascript")]
    assert HOSTILE_URL in soup.select_one("dl.listing-facts").get_text()


def test_the_crawl_database_searches_the_topics_too(demo):
    """Served directly (``aggregator serve`` on the crawl database, as ./run.sh does), the search
    reads the store's own full-text table, which indexes the topics' English ids."""
    _, published, _, _ = demo
    crawl = sqlite_utils.Database(published.parent.parent / "aggregator.db")
    tagged = {r[0] for r in crawl.execute("select course_id from course_topics where topic = 'welding_mechanical'")}
    found = crawl.execute(
        "select id from courses where rowid in (select rowid from courses_fts where courses_fts match ?)",
        [plain_words("welding")],
    )
    assert tagged and tagged <= {r[0] for r in found}
