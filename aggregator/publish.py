"""Datasette publishing: metadata for the database actually served."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml

METADATA = Path(__file__).resolve().parent.parent / "datasette_metadata.yml"
METADATA_DB_NAME = "aggregator"


def metadata_for(db_path: str) -> dict[str, Any]:
    """datasette_metadata.yml with its database section named after ``db_path``'s file stem
    (Datasette keys table metadata by database name, which is the file name)."""
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    name = Path(db_path).stem
    databases = metadata.get("databases", {})
    if name != METADATA_DB_NAME and METADATA_DB_NAME in databases:
        databases[name] = databases.pop(METADATA_DB_NAME)
    return metadata


def write_metadata_file(db_path: str) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", prefix="datasette-metadata-", delete=False)
    with handle:
        json.dump(metadata_for(db_path), handle, ensure_ascii=False)
    return handle.name


STATIC = Path(__file__).resolve().parent / "static"


def datasette_command(python: str, db_path: str, host: str, port: int) -> list[str]:
    return [
        python, "-m", "datasette", "serve", db_path,
        "--metadata", write_metadata_file(db_path),
        "--static", f"assets:{STATIC}",
        "--host", host, "--port", str(port),
        "--setting", "sql_time_limit_ms", "3000",
        "--setting", "facet_time_limit_ms", "500",
        # suggesting facets runs a query per column on every table page: seconds at 300,000 rows
        "--setting", "suggest_facets", "off",
        # long descriptions cut in HTML tables (the row page and JSON/CSV keep them whole):
        # a page of 100 full rows was close to a megabyte of HTML to render
        "--setting", "truncate_cells_html", "200",
        "--setting", "default_page_size", "50",
    ]
