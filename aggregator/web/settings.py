"""The site's Datasette settings, given to Datasette the documented ways.

- ``aggregator serve`` passes them to ``Datasette(settings=...)`` (``aggregator.publish``);
- ``aggregator snapshot`` (and ``nightly --snapshot``) makes the snapshot's folder a Datasette
  configuration directory: ``settings.json`` with these settings and ``inspect-data.json`` (the
  snapshot's table counts, as ``datasette inspect`` writes them, which also has Datasette open the
  file immutable), so stock ``datasette serve FOLDER -m datasette_metadata.yml`` serves the same
  site with the same settings.

(Until this version the plugin wrote them into Datasette's private settings at startup, after
Datasette had copied the time limit: the site's limit was 1 s, not 3.)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
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
# Datasette's configuration-directory files (docs.datasette.io, "Configuration directory mode")
SETTINGS_FILE = "settings.json"
INSPECT_FILE = "inspect-data.json"


def site_settings(all_immutable: bool) -> dict[str, Any]:
    settings = dict(SITE_SETTINGS)
    if all_immutable:
        settings["default_cache_ttl"] = IMMUTABLE_CACHE_TTL
    return settings


def write_configuration_directory(snapshot: Path, tables: dict[str, int], file_hash: str) -> list[Path]:
    """``settings.json`` and ``inspect-data.json`` beside ``snapshot`` (each replaced atomically),
    so that ``datasette serve`` of its folder serves it immutable with the site's settings.
    A file of that name that an earlier snapshot did not write is left as it is; returns those."""
    folder = snapshot.parent
    inspect = {
        snapshot.stem: {
            "hash": file_hash,
            "size": snapshot.stat().st_size,
            "file": snapshot.name,
            "tables": {name: {"count": count} for name, count in tables.items()},
        }
    }
    ours = {SETTINGS_FILE: set(site_settings(all_immutable=True)), INSPECT_FILE: {snapshot.stem}}
    left = []
    for name, content in ((SETTINGS_FILE, site_settings(all_immutable=True)), (INSPECT_FILE, inspect)):
        target = folder / name
        if target.exists() and not _written_here(target, ours[name]):
            left.append(target)
            continue
        staging = folder / f".{name}.staging"
        staging.write_text(json.dumps(content, indent=2) + "\n", "utf-8")
        os.replace(staging, target)
    return left


def _written_here(path: Path, keys: set[str]) -> bool:
    """Whether ``path`` is a JSON object with no other keys than ``keys`` (what a snapshot writes)."""
    try:
        content = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(content, dict) and set(content) <= keys
