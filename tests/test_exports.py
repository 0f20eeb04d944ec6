"""The nightly exports, checked with the tools researchers use: frictionless validates the data
package (types, primary and foreign keys), DuckDB and pandas read every file; on the real
recorded samples (skipped without ../shared)."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
from frictionless import Package

from tests.conftest import run_cli

pytestmark = pytest.mark.samples


@pytest.fixture(scope="module")
def samples_export(tmp_path_factory):
    from tests.conftest import SAMPLES

    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    folder = tmp_path_factory.mktemp("export")
    replay = folder / "replay"
    run_cli("samples", str(SAMPLES), str(replay))
    db = folder / "aggregator.db"
    run_cli("--db", str(db), "nightly", "--replay", str(replay), "--export-dir", str(folder / "exports"), timeout=600)
    return folder / "exports"


def test_frictionless_finds_no_error_in_the_export_of_the_real_samples(samples_export):
    report = Package(str(samples_export / "datapackage.json")).validate()
    errors = [(task.name, error.message) for task in report.tasks for error in task.errors]
    assert report.valid and not errors, errors[:20]
    package = json.loads((samples_export / "datapackage.json").read_text("utf-8"))
    names = {r["name"] for r in package["resources"]}
    assert {"courses-csv", "courses-parquet", "course_topics-csv", "course_topics-parquet"} <= names
    courses = next(r for r in package["resources"] if r["name"] == "courses-parquet")
    assert courses["schema"]["primaryKey"] == ["id"]
    assert {"fields": ["source"], "reference": {"resource": "sources-parquet", "fields": ["name"]}} in courses[
        "schema"
    ]["foreignKeys"]


def test_duckdb_and_pandas_read_every_file_with_the_same_rows(samples_export):
    package = json.loads((samples_export / "datapackage.json").read_text("utf-8"))
    rows = {r["path"].split(".")[0]: r["rows"] for r in package["resources"]}
    for table, count in rows.items():
        for fmt in ("csv", "jsonl", "parquet"):
            path = samples_export / f"{table}.{fmt}"
            assert path.exists(), path
            reader = {"csv": "read_csv_auto", "jsonl": "read_json_auto", "parquet": "read_parquet"}[fmt]
            if fmt == "jsonl" and count == 0:
                assert path.stat().st_size == 0  # JSON Lines of no records
                assert pd.read_json(path, lines=True).empty
                continue
            assert duckdb.sql(f"select count(*) from {reader}('{path}')").fetchall()[0][0] == count, path
            frame = {"csv": pd.read_csv, "jsonl": lambda p: pd.read_json(p, lines=True), "parquet": pd.read_parquet}[
                fmt
            ](path)
            assert len(frame) == count, path
    levels = pd.read_parquet(samples_export / "courses.parquet")["eqf_level"]
    assert str(levels.dtype) == "Int64"  # integers with missing values, not floats with NaN
