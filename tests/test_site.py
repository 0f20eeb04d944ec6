"""The public site is a Datasette plugin: stock `datasette serve` with the project installed serves
the same site as `aggregator serve`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request

from aggregator.publish import served
from aggregator.snapshot import snapshot
from aggregator.web.settings import IMMUTABLE_CACHE_TTL, SITE_SETTINGS
from tests.conftest import FIXTURES, run_cli, stock_datasette_command

FOUR = FIXTURES / "opintopolku_fi" / "four_offerings" / "responses"
HOOKS = {
    "asgi_wrapper",
    "register_facet_classes",
    "filters_from_request",
    "prepare_connection",
    "handle_exception",
    "extra_css_urls",
    "extra_template_vars",
    "extra_body_script",
    "register_routes",
}
PAGES = [
    "/",
    "/aggregator",
    "/aggregator/courses",
    "/aggregator/courses?_facet_topic=topics&_facet=source",
    "/aggregator/courses?country=FI&_facet=municipality",
    "/aggregator/courses?_search=akku",
    "/aggregator/supply_by_topic_region_level",
    "/aggregator/across_the_border_languages",
    "/aggregator/source_health",
]


def same_page(html: str, base: str) -> str:
    """A page but for what differs between two servers of the same site: their own address in
    absolute links, and the time each query took."""
    return re.sub(r"took [\d.]+ms", "took ?ms", html.replace(base, ""))


def without_timings(page):
    if isinstance(page, dict):
        return {key: without_timings(value) for key, value in page.items() if key != "query_ms"}
    return [without_timings(value) for value in page] if isinstance(page, list) else page


def read(url: str) -> tuple[int, str, dict]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return (
            response.status,
            response.read().decode(),
            {key.lower(): value for key, value in response.headers.items()},
        )


def test_stock_datasette_serve_with_the_metadata_serves_the_same_site_as_aggregator_serve(db_path, tmp_path):
    run_cli("--db", db_path, "crawl", "opintopolku_fi", "--replay", str(FOUR))
    published = tmp_path / "public" / "aggregator.db"
    snapshot(db_path, published)
    stock = stock_datasette_command(published)
    with served(str(published), command=stock) as plain, served(str(published), immutable=True) as ours:
        # the plugin, found through the project's entry point, and the site's settings
        plugins = json.loads(read(plain + "/-/plugins.json")[1])
        site = next(p for p in plugins if p["name"] == "nordic-course-aggregator")
        assert HOOKS <= set(site["hooks"]) and site["static"] and site["templates"]
        settings = json.loads(read(plain + "/-/settings.json")[1])
        assert {key: settings[key] for key in SITE_SETTINGS} == SITE_SETTINGS
        assert settings["default_cache_ttl"] == IMMUTABLE_CACHE_TTL
        assert settings == json.loads(read(ours + "/-/settings.json")[1])
        for path in PAGES:
            status, html, headers = read(plain + path)
            same_status, same_html, _ = read(ours + path)
            assert status == same_status == 200, path
            # the same page but for the server's own address in absolute links
            assert same_page(html, plain) == same_page(same_html, ours), path
            assert f"max-age={IMMUTABLE_CACHE_TTL}" in headers.get("cache-control", "") or path == "/", (path, headers)
            json_path = re.sub(r"^(/aggregator/[^?]+)", r"\1.json", path) if path.startswith("/aggregator/") else None
            if json_path:
                page = without_timings(json.loads(read(plain + json_path)[1].replace(plain, "")))
                assert page == without_timings(json.loads(read(ours + json_path)[1].replace(ours, ""))), json_path
        page = json.loads(read(plain + "/aggregator/courses.json?_facet_topic=topics")[1])
        assert set(page["facet_results"]) == {"country", "education_type", "eqf_level", "region", "topics"}
        assert page["facet_results"]["topics"]["type"] == "topic" and page["facet_results"]["topics"]["results"]
        html = read(plain + "/aggregator/courses")[1]
        assert "/-/static-plugins/nordic-course-aggregator/aggregator.css" in html and "columns shown" in html
        assert read(plain + "/-/static-plugins/nordic-course-aggregator/aggregator.css")[0] == 200
        assert "Suggested facets" not in html


def test_the_plugin_registers_every_hook_whatever_is_imported_first():
    # Datasette imports the plugin while it loads its plugins; importing a part of the site first
    # must not have it registered half-defined
    for first in ("aggregator.web.errors", "aggregator.web.topics", "aggregator.publish", "datasette.app"):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import {first}\nfrom datasette.plugins import pm\n"
                "plugin = pm.get_plugin('nordic_course_aggregator')\n"
                "print(' '.join(sorted(h.name for h in pm.get_hookcallers(plugin))))",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert set(out.stdout.split()) == HOOKS, (first, out.stdout, out.stderr)


def test_the_deployments_nginx_cache_keeps_a_snapshots_pages_and_streams_csv(db_path, tmp_path):
    import pytest

    from aggregator.http_cache import nginx_binary, nginx_in_front

    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light): deploy/nginx.conf not tried")
    run_cli("--db", db_path, "crawl", "opintopolku_fi", "--replay", str(FOUR))
    published = tmp_path / "public" / "aggregator.db"
    snapshot(db_path, published)
    with served(str(published), immutable=True) as ours, nginx_in_front(ours) as cached:
        first = read(cached + "/aggregator/courses?_facet_topic=topics")
        second = read(cached + "/aggregator/courses?_facet_topic=topics")
        assert first[2]["x-cache-status"] == "MISS" and second[2]["x-cache-status"] == "HIT"
        assert same_page(first[1], cached) == same_page(second[1], cached)
        assert same_page(second[1], cached) == same_page(
            read(ours + "/aggregator/courses?_facet_topic=topics")[1], ours
        )
        csv = read(cached + "/aggregator/courses.csv?_stream=on&_size=max")
        import csv as csv_module
        import io

        assert (
            csv[0] == 200
            and len(list(csv_module.reader(io.StringIO(csv[1])))) == 1 + 4
            and "x-cache-status" not in csv[2]
        )


def test_a_saved_searchs_atom_feed_lists_a_listing_a_later_crawl_adds(db_path):
    import xml.etree.ElementTree as ET

    from tests.conftest import datasette_get

    susa = FIXTURES / "susanavet_se" / "six_school_forms" / "responses"
    planned = FIXTURES / "plannededucations_se" / "municipality_filter" / "responses"
    feed_path = "/aggregator/new_listings.atom?q=batteri&country=SE&region=&topic="
    atom = "{http://www.w3.org/2005/Atom}"

    def entries():
        answer = datasette_get(db_path, feed_path)
        assert answer.status_code == 200 and answer.text.lstrip().startswith("<?xml"), answer.text[:300]
        feed = ET.fromstring(answer.text)
        return [(e.findtext(f"{atom}id"), e.findtext(f"{atom}title")) for e in feed.iter(f"{atom}entry")]

    run_cli(
        "--db",
        db_path,
        "crawl",
        "susanavet_se",
        "--replay",
        str(susa),
        "-a",
        "municipalities=2482,2480,2580,2421",
        check=False,
    )
    before = entries()
    assert before  # Susa-navet's battery listings in Sweden
    run_cli(
        "--db",
        db_path,
        "crawl",
        "plannededucations_se",
        "--replay",
        str(planned),
        "-a",
        "municipalities=2482,2480",
        check=False,
    )
    after = entries()
    added = [entry for entry in after if entry not in before]
    assert added, "the later crawl's battery listing is not in the feed"
    import sqlite_utils

    new_ids = {
        r["id"]
        for r in sqlite_utils.Database(db_path).query("select id from courses where source = 'plannededucations_se'")
    }
    # an entry's id is the listing page's address (an IRI), ending in the listing's id
    assert {entry_id.rsplit("/", 1)[-1] for entry_id, _ in added} <= new_ids
    assert after[: len(added)] == added  # newest first
    # the same search as a page, for a person
    assert datasette_get(db_path, feed_path.replace(".atom", "")).status_code == 200


def test_search_engines_may_index_listing_pages_from_the_sitemap_but_not_facet_combinations(db_path):
    import xml.etree.ElementTree as ET

    from tests.conftest import datasette_get

    run_cli("--db", db_path, "crawl", "opintopolku_fi", "--replay", str(FOUR))
    robots = datasette_get(db_path, "/robots.txt").text
    assert "Allow: /aggregator/courses/" in robots and "Disallow: /aggregator/courses\n" in robots
    assert "Sitemap: http://localhost/sitemap.xml" in robots
    index = ET.fromstring(datasette_get(db_path, "/sitemap.xml").text)
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    parts = [loc.text for loc in index.iter(f"{ns}loc")]
    assert parts == ["http://localhost/sitemap-1.xml"]
    urls = [loc.text for loc in ET.fromstring(datasette_get(db_path, "/sitemap-1.xml").text).iter(f"{ns}loc")]
    import sqlite_utils

    ids = {r["id"] for r in sqlite_utils.Database(db_path).query("select id from courses where removed_at is null")}
    assert sorted(urls) == sorted(f"http://localhost/aggregator/courses/{i}" for i in ids)
    for url in urls:  # each a page that answers
        assert datasette_get(db_path, url.removeprefix("http://localhost")).status_code == 200
    assert datasette_get(db_path, "/sitemap-2.xml").status_code == 404
