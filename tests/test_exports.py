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


def test_dates_lists_and_codes_read_as_what_they_are_in_pandas_and_duckdb(samples_export):
    import datetime
    import sqlite3

    with sqlite3.connect(samples_export.parent / "aggregator.db") as conn:
        stored = conn.execute("select id, start_date, instruction_languages, municipality_code from courses").fetchall()
    by_id = {row[0]: row[1:] for row in stored}
    codes = sorted({code for *_, code in stored if code})
    assert any(code.startswith("0") for code in codes) or len(codes) > 3, codes  # codes worth keeping as text

    frame = pd.read_parquet(samples_export / "courses.parquet")
    for _, row in frame.iterrows():
        start, languages, code = by_id[row["id"]]
        assert row["start_date"] == (None if start is None else datetime.date.fromisoformat(start))
        listed = row["instruction_languages"]
        assert (None if listed is None else list(listed)) == (None if languages is None else json.loads(languages))
        assert (None if pd.isna(row["municipality_code"]) else row["municipality_code"]) == code
    assert str(frame["municipality_code"].dtype) == "string" and str(frame["fetched_at"].dtype) == "datetime64[us, UTC]"
    # JSON Lines: lists as arrays, codes as strings (pandas: dtype=False keeps them, as docs/downloads.md says)
    records = [json.loads(line) for line in (samples_export / "courses.jsonl").read_text("utf-8").splitlines()]
    assert all(record["instruction_languages"] == (json.loads(by_id[record["id"]][1] or "null")) for record in records)
    assert any(record["instruction_languages"] for record in records)
    lines = pd.read_json(samples_export / "courses.jsonl", lines=True, dtype=False)
    assert sorted({c for c in lines["municipality_code"] if c}) == codes
    # CSV: codes as text when read the way docs/downloads.md shows
    table = pd.read_csv(samples_export / "courses.csv", dtype={"municipality_code": "string", "region_code": "string"})
    assert sorted(set(table["municipality_code"].dropna())) == codes
    for reader, fmt in (("read_parquet", "parquet"), ("read_json_auto", "jsonl")):
        types = duckdb.sql(
            "select distinct typeof(start_date), typeof(instruction_languages), typeof(municipality_code) "
            f"from {reader}('{samples_export / f'courses.{fmt}'}')"
        ).fetchall()
        assert types == [("DATE", "VARCHAR[]", "VARCHAR")], (fmt, types)


def test_every_listing_with_a_provider_joins_to_it_and_duplicates_are_exported(samples_export):
    package = json.loads((samples_export / "datapackage.json").read_text("utf-8"))
    assert {"course_duplicates-csv", "course_duplicates-parquet"} <= {r["name"] for r in package["resources"]}
    courses = pd.read_parquet(samples_export / "courses.parquet")
    providers = pd.read_parquet(samples_export / "providers.parquet")
    with_provider = courses[courses["provider_name"].notna() | courses["provider_id"].notna()]
    assert with_provider["provider_key"].isin(providers["id"]).all()
    assert courses[courses["provider_key"].isna()][["provider_name", "provider_id"]].isna().all().all()
    # Planned Educations gives no provider id: its listings join by a key made from the name
    planned = with_provider[with_provider["source"] == "plannededucations_se"]
    assert len(planned) and planned["provider_id"].isna().all() and planned["provider_key"].notna().all()
    joined = planned.merge(providers, left_on="provider_key", right_on="id", suffixes=("", "_provider"))
    assert len(joined) == len(planned) and (joined["provider_name"] == joined["name"]).all()
