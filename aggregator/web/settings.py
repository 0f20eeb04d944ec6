"""The site's Datasette settings, applied by the plugin at startup.

The one place this project reaches past Datasette's public interface: Datasette 0.65 lets a
plugin read settings (``datasette.setting``) but not give defaults for them, and the site must be
the same under stock ``datasette serve -i SNAPSHOT -m datasette_metadata.yml`` as under
``aggregator serve``. So at startup every setting below that is still at Datasette's own default
is set to the project's value in ``Datasette._settings``; a value the operator chose
(``--setting``) is left alone. tests/test_site.py fails if a Datasette upgrade stops this from
taking effect (``/-/settings.json`` of a stock ``datasette serve``).
"""

from __future__ import annotations

from typing import Any

# Tuned at 300,000 listings (bench/bench_datasette.py).
SITE_SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    # suggesting facets runs a query per column on every table page: seconds at 300,000 rows
    "suggest_facets": False,
    # long descriptions cut in HTML tables (the row page and JSON/CSV keep them whole):
    # a page of 100 full rows was close to a megabyte of HTML to render
    "truncate_cells_html": 200,
    "default_page_size": 50,
    # a streamed CSV of every listing is what researchers download: at 300,000 listings it is
    # about 450 MB, and Datasette's default 100 MB limit cut it off after 65,000 rows
    "max_csv_mb": 0,
}
# A published snapshot cannot change while it is served (the nightly job publishes a new file and
# restarts the server), so its pages may be kept by browsers and an HTTP cache in front
# (deploy/nginx.conf) for an hour; some canned queries depend on today's date, so not longer.
IMMUTABLE_CACHE_TTL = 3600


def site_settings(all_immutable: bool) -> dict[str, Any]:
    settings = dict(SITE_SETTINGS)
    if all_immutable:
        settings["default_cache_ttl"] = IMMUTABLE_CACHE_TTL
    return settings


def apply_site_settings(datasette) -> dict[str, Any]:
    """Set the site's settings that the operator left at Datasette's defaults; returns those set."""
    from datasette.app import DEFAULT_SETTINGS  # not at import: the plugin is loaded while datasette.app is

    databases = [db for name, db in datasette.databases.items() if name != "_internal" and not db.is_memory]
    wanted = site_settings(bool(databases) and all(not db.is_mutable for db in databases))
    applied = {key: value for key, value in wanted.items() if datasette.setting(key) == DEFAULT_SETTINGS.get(key)}
    datasette._settings.update(applied)
    return applied
