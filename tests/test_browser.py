"""The public site in a real browser: Debian's Chromium driven by Playwright (the system browser
through ``executable_path``; Playwright's own browser download is not needed). Every page type a
visitor meets is opened: it must answer 200, show its main content and log no console error. A
screenshot of each is saved under the folder the run prints (AGGREGATOR_SCREENSHOTS, or a
temporary folder). Skipped, with the reason, where Chromium or Playwright is missing."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlite_utils

from aggregator.publish import served
from aggregator.snapshot import snapshot
from tests.conftest import FIXTURES, run_cli

CRAWLS = [
    ("opintopolku_fi", FIXTURES / "opintopolku_fi" / "four_offerings" / "responses", []),
    (
        "susanavet_se",
        FIXTURES / "susanavet_se" / "six_school_forms" / "responses",
        ["-a", "municipalities=2482,2480,2580,2421"],
    ),
    (
        "plannededucations_se",
        FIXTURES / "plannededucations_se" / "municipality_filter" / "responses",
        ["-a", "municipalities=2482,2480"],
    ),
    # a provider's web site (written pages, README "Add a source")
    ("site_example_college_fi", FIXTURES / "site_example_college_fi" / "short_courses" / "responses", []),
]


def chromium_path() -> str | None:
    return next(
        (
            path
            for path in (
                os.environ.get("AGGREGATOR_CHROMIUM"),
                shutil.which("chromium"),
                shutil.which("chromium-browser"),
            )
            if path and Path(path).exists()
        ),
        None,
    )


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); the browser tests did not run")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright); the browser tests did not run")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo database (every source's recorded responses), published and served as deployed."""
    folder = tmp_path_factory.mktemp("site")
    db_path = folder / "aggregator.db"
    for spider, responses, arguments in CRAWLS:
        # the fixture cases include a source error on purpose (a flagged run still stores its listings)
        run_cli("--db", str(db_path), "crawl", spider, "--replay", str(responses), *arguments, check=False)
    assert {r[0] for r in sqlite_utils.Database(db_path).execute("select distinct source from courses")} == {
        c[0] for c in CRAWLS
    }
    published = folder / "public" / "aggregator.db"
    snapshot(db_path, published)
    with served(str(published), immutable=True) as base:
        yield base, published


@pytest.fixture(scope="module")
def screenshots():
    folder = Path(os.environ.get("AGGREGATOR_SCREENSHOTS") or tempfile.mkdtemp(prefix="aggregator-screenshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


# a transparent 1x1 PNG: what a map tile request outside 127.0.0.1 gets in the tests, so that no
# request leaves the machine (the deployed site loads OpenStreetMap's tiles)
BLANK_TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def new_page(browser, base: str, **options):
    """A page whose requests to anything but the local site are answered in the browser."""
    page = browser.new_page(**options)
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(base)
            else route.fulfill(status=200, content_type="image/png", body=BLANK_TILE)
        ),
    )
    return page


def pages_of(published: Path) -> dict[str, tuple[str, str]]:
    """name -> (path, a CSS selector of the page's main content)."""
    db = sqlite_utils.Database(published)
    pages = {
        "home": ("/", "form.home-search input[name=_search]"),
        "database": ("/aggregator", ".db-table"),
        "courses": ("/aggregator/courses", "table.rows-and-columns td.col-title_en"),
        "courses-filtered-faceted": (
            "/aggregator/courses?country=SE&_facet_topic=topics&_facet_counted=source",
            ".facet-results",
        ),
        "courses-search": ("/aggregator/courses?_search=batteri", "table.rows-and-columns td"),
        "courses-all-columns": ("/aggregator/courses?_allcolumns=1", "table.rows-and-columns td.col-description"),
        "topic-page": (
            "/aggregator/courses?topics__arraycontains=batteries_energy_storage",
            "table.rows-and-columns td",
        ),
    }
    # a row page of every kind of listing: each source and education type there is
    for source, kind, listing in db.execute(
        "select source, coalesce(education_type, 'none'), min(id) from courses group by source, education_type"
    ):
        pages[f"row-{source}-{kind}"] = (f"/aggregator/courses/{listing}", "article.listing dl.listing-facts")
    pages["map-across-the-border"] = ("/aggregator/battery_green_across_the_border", ".leaflet-container")
    pages["map-courses"] = ("/aggregator/courses?country=FI", ".leaflet-container")
    pages["query-new_listings"] = (
        "/aggregator/new_listings?q=batteri&country=&region=&topic=",
        "table.rows-and-columns",
    )
    for query in ("supply_by_topic_region_level", "across_the_border_languages", "battery_programmes_eqf_5_6"):
        pages[f"query-{query}"] = (f"/aggregator/{query}", "h1")
    pages["query-starting_soon_in_topic"] = (
        "/aggregator/starting_soon_in_topic?topic=" + quote("batteries_energy_storage"),
        "h1",
    )
    for view in ("source_health", "english_coverage", "language_disagreements"):
        pages[f"view-{view}"] = (f"/aggregator/{view}", "table.rows-and-columns, p.zero-results")
    for table in ("providers", "sources", "crawl_runs", "course_topics", "held_back_listings"):
        pages[f"table-{table}"] = (f"/aggregator/{table}", "h1")
    return pages


def test_every_page_type_opens_in_chromium_with_its_content_and_no_console_errors(browser, site, screenshots):
    base, published = site
    failures = []
    pages = pages_of(published)
    assert sum(name.startswith("row-") for name in pages) >= 5
    for name, (path, selector) in pages.items():
        page = new_page(browser, base, viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on(
            "console", lambda message, errors=errors: errors.append(message.text) if message.type == "error" else None
        )
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        response = page.goto(base + path, wait_until="networkidle")
        status = response.status if response else None
        found = page.query_selector(selector) is not None
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
        if status != 200 or not found or errors:
            failures.append(
                f"{name} {path}: status {status}, main content {'found' if found else 'missing'} ({selector}), "
                f"console errors {errors}"
            )
        page.close()
    assert not failures, "\n".join(failures)


def test_every_listings_row_page_answers(site):
    import urllib.request

    base, published = site
    ids = [r[0] for r in sqlite_utils.Database(published).execute("select id from courses")]
    assert len(ids) >= 10
    for listing in ids:
        with urllib.request.urlopen(f"{base}/aggregator/courses/{listing}", timeout=30) as answer:
            assert answer.status == 200, listing


def test_the_courses_table_fits_a_1400_pixel_screen(browser, site):
    base, _ = site
    page = new_page(browser, base, viewport={"width": 1400, "height": 900})
    page.goto(base + "/aggregator/courses", wait_until="networkidle")
    table = page.locator("table.rows-and-columns").bounding_box()
    assert table["x"] + table["width"] <= 1400 + 1, table
    page.close()


def test_a_row_page_reads_as_a_listing_english_first_with_the_original_and_the_facts(browser, site):
    base, published = site
    db = sqlite_utils.Database(published)
    listing = next(
        db.query(
            "select c.* from courses c where c.title_en is not null and c.title_en != c.title"
            " and exists (select 1 from course_topics t where t.course_id = c.id) limit 1"
        )
    )
    tag = next(db.query("select label, matched_terms from course_topics where course_id = ?", [listing["id"]]))
    page = new_page(browser, base)
    page.goto(f"{base}/aggregator/courses/{listing['id']}", wait_until="networkidle")
    assert page.locator("article.listing h1").inner_text().strip() == listing["title_en"]
    assert listing["title"] in page.locator("article.listing .original-title").inner_text()
    facts = dict(
        zip(
            page.locator("dl.listing-facts dt").all_inner_texts(),
            page.locator("dl.listing-facts dd").all_inner_texts(),
            strict=False,
        )
    )
    for name in (
        "Provider",
        "Place",
        "Level",
        "Credits",
        "Starts",
        "Applications",
        "Fee",
        "Languages of instruction",
        "Topics",
        "Links",
        "Where from",
    ):
        assert name in facts, name
    assert tag["label"] in facts["Topics"] and json.loads(tag["matched_terms"])[0] in facts["Topics"]
    assert listing["source_id"] in facts["Where from"]
    # every column still follows, in Datasette's table
    assert page.locator("table.rows-and-columns th").count() >= 70
    page.close()


def test_the_home_page_says_what_this_is_and_leads_to_the_listings(browser, site):
    base, published = site
    db = sqlite_utils.Database(published)
    page = new_page(browser, base)
    page.goto(base + "/", wait_until="networkidle")
    figures = page.locator(".home-figures").inner_text()
    total = db.execute("select count(*) from courses where removed_at is null").fetchone()[0]
    assert f"{total:,} current listings" in figures and "English titles for" in figures
    topics = page.locator(".home-entries section").nth(0).locator("a").all_inner_texts()
    assert "Batteries and energy storage" in topics
    assert any(
        "(Västerbotten County)" in r
        for r in page.locator(".home-entries section").nth(1).locator("a").all_inner_texts()
    )
    assert page.locator(".home-sources tbody tr").count() == db.execute("select count(*) from sources").fetchone()[0]
    page.fill("#home-search-box", "batteri")
    page.locator("form.home-search input[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "/aggregator/courses?_search=batteri" in page.url and page.locator("table.rows-and-columns td").count() > 0
    page.close()


def test_the_cross_border_map_shows_both_countries_listings(browser, site):
    base, published = site
    rows = (
        sqlite_utils.Database(published)
        .execute(
            "select distinct c.country from courses c join course_topics t on t.course_id = c.id where c.region in "
            "('Västerbottens län', 'Norrbottens län', 'Pohjois-Pohjanmaa', 'Lappi', 'Keski-Pohjanmaa', 'Pohjanmaa', "
            "'Kymenlaakso', 'Etelä-Karjala')"
        )
        .fetchall()
    )
    assert {country for (country,) in rows} == {"FI", "SE"}
    page = new_page(browser, base, viewport={"width": 1400, "height": 900})
    page.goto(base + "/aggregator/battery_green_across_the_border", wait_until="networkidle")
    page.wait_for_selector(".leaflet-marker-icon", timeout=15000)
    markers = page.locator(".leaflet-marker-icon")
    assert markers.count() >= 2
    # the markers lie on both sides of the border (Sweden west of about 24 E, Finland east of it)
    boxes = [markers.nth(i).bounding_box() for i in range(markers.count())]
    xs = sorted(box["x"] for box in boxes if box)
    assert xs[-1] - xs[0] > 20, xs
    page.close()


def test_canned_query_choices_are_picked_from_a_list_with_english_labels(browser, site):
    base, _ = site
    page = new_page(browser, base)
    page.goto(base + "/aggregator/starting_soon_in_topic?topic=batteries_energy_storage", wait_until="networkidle")
    topic = page.locator('form select[name="topic"]')
    assert topic.count() == 1 and page.locator('form input[name="topic"]').count() == 0
    labels = topic.locator("option").all_inner_texts()
    assert "Batteries and energy storage" in labels and labels[0] == "(any)"
    assert topic.input_value() == "batteries_energy_storage"  # the current choice kept
    topic.select_option(label="Hydrogen")
    page.locator('form input[type="submit"]').first.click()
    page.wait_for_load_state("networkidle")
    assert "topic=hydrogen" in page.url
    page.goto(base + "/aggregator/new_listings?q=&country=&region=&topic=", wait_until="networkidle")
    regions = page.locator('form select[name="region"] option').all_inner_texts()
    assert "Västerbottens län (Västerbotten County)" in regions
    assert page.locator('form select[name="country"] option').all_inner_texts() == [
        "(any)",
        "Finland (FI)",
        "Sweden (SE)",
    ]
    page.close()


def test_public_pages_show_no_table_definitions_and_hide_internal_tables(browser, site):
    base, _ = site
    page = new_page(browser, base)
    page.goto(base + "/aggregator/courses?_facet_topic=topics")
    assert "CREATE TABLE" not in page.content()
    # facets named as a visitor reads them, not by their kind
    names = [name.strip() for name in page.locator(".facet-info-name strong").all_inner_texts()]
    assert names and not any("(counted)" in n or "(topic)" in n for n in names), names
    page.goto(base + "/aggregator/source_health")
    assert "CREATE VIEW" not in page.content()
    page.goto(base + "/")
    home = page.content()
    for internal in ("_sqlite_migrations", "facet_counts", "facet_topic_counts", "_deferred_indexes"):
        assert internal not in home, internal
    page.close()
