"""Full exports of every public table as CSV (UTF-8, header), JSON Lines and Parquet, with a
``datapackage.json`` describing columns, licences and sources, so researchers are not limited by
Datasette's CSV size cap. Files are written to a temporary folder and moved into place at the
end, so a failed export never leaves a half-written set behind."""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlite_utils

from aggregator.publish import metadata_for

PUBLIC_TABLES = ("courses", "providers", "sources", "crawl_runs", "course_changes", "translations", "course_topics")
CHUNK = 5000
# Parquet columns carry pandas' nullable dtypes in their metadata, so that pandas (and the
# validators reading through it: frictionless) read an integer column with nulls as integers
# with missing values, not as floats with NaN.
_PANDAS_DTYPE = {"INTEGER": "Int64", "REAL": "Float64", "FLOAT": "Float64", "TEXT": "string"}
# Keys of the public tables, declared in datapackage.json: (primary key, [(fields, table, its fields)])
KEYS: dict[str, tuple[list[str], list[tuple[list[str], str, list[str]]]]] = {
    "courses": (["id"], [(["source"], "sources", ["name"])]),
    "providers": (["id"], [(["source"], "sources", ["name"])]),
    "sources": (["name"], []),
    "crawl_runs": (["id"], [(["source"], "sources", ["name"])]),
    "course_changes": (["id"], [(["course_id"], "courses", ["id"]), (["run_id"], "crawl_runs", ["id"])]),
    "translations": (["source_lang", "target_lang", "model", "text_hash"], []),
    "course_topics": (["course_id", "topic"], [(["course_id"], "courses", ["id"])]),
}
_FRICTIONLESS = {"INTEGER": "integer", "REAL": "number", "FLOAT": "number", "TEXT": "string"}


def _columns(db: sqlite_utils.Database, table: str) -> list[tuple[str, str]]:
    return [(c.name, (c.type or "TEXT").upper()) for c in db[table].columns]


def _export_table(db: sqlite_utils.Database, table: str, folder: Path) -> int:
    columns = _columns(db, table)
    names = [n for n, _ in columns]
    empty = pd.DataFrame({n: pd.Series([], dtype=_PANDAS_DTYPE.get(t, "string")) for n, t in columns})
    schema = pa.Schema.from_pandas(empty, preserve_index=False)
    rows = 0
    cursor = db.execute(f"select {', '.join(f'[{n}]' for n in names)} from [{table}] order by rowid")
    with (
        open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as csv_file,
        open(folder / f"{table}.jsonl", "w", encoding="utf-8") as jsonl_file,
        pq.ParquetWriter(folder / f"{table}.parquet", schema, compression="zstd") as parquet,
    ):
        writer = csv.writer(csv_file)
        writer.writerow(names)
        while True:
            chunk = cursor.fetchmany(CHUNK)
            if not chunk:
                break
            writer.writerows(chunk)
            jsonl_file.writelines(
                json.dumps(dict(zip(names, row, strict=False)), ensure_ascii=False) + "\n" for row in chunk
            )
            parquet.write_table(
                pa.Table.from_arrays(
                    [pa.array([r[i] for r in chunk], type=schema.field(i).type) for i in range(len(names))],
                    schema=schema,
                )
            )
            rows += len(chunk)
    return rows


def english_coverage_sentence(db: sqlite_utils.Database) -> str:
    """The English of the current listings as it is in this export, in one sentence."""
    if "courses" not in db.table_names():
        return ""
    rows = db.execute(
        "select coalesce(title_en_method, 'none'), count(*) from courses where removed_at is null group by 1 order by 2 desc"
    ).fetchall()
    total = sum(n for _, n in rows)
    if not total:
        return "No current listings."
    english = sum(n for method, n in rows if method not in ("pending", "none"))
    methods = ", ".join(f"{method} {n}" for method, n in rows)
    return f"English titles for {english} of {total} current listings ({100 * english / total:.1f} %; by method: {methods})."


def _datapackage(db: sqlite_utils.Database, db_path: str, counts: dict[str, int]) -> dict[str, Any]:
    metadata = metadata_for(db_path)
    tables = next(iter(metadata.get("databases", {}).values()), {}).get("tables", {})
    # a provider site may state its terms in words only (no licence URL): no empty keys, which
    # the Data Package standard does not allow
    sources = [
        {
            k: v
            for k, v in {
                "title": s["title"],
                "path": s["url"],
                "licence": s["licence"],
                "licence_url": s["licence_url"],
                "spider": s["name"],
                "kind": s.get("kind"),
            }.items()
            if v
        }
        for s in db["sources"].rows
    ]
    resources = []
    for table, rows in counts.items():
        described = tables.get(table, {})
        fields = [
            {
                "name": n,
                "type": _FRICTIONLESS.get(t, "string"),
                "description": (described.get("columns") or {}).get(n, ""),
            }
            for n, t in _columns(db, table)
        ]
        primary, foreign = KEYS.get(table, ([], []))
        # An empty table's JSON Lines file has no lines (valid JSON Lines, read by DuckDB and
        # pandas as no rows), but frictionless 5 cannot open an empty JSON Lines file: the
        # package lists it only in CSV and Parquet, which describe the same empty table.
        for fmt in ("csv", "jsonl", "parquet") if rows else ("csv", "parquet"):
            schema: dict[str, Any] = {"fields": fields}
            if primary:
                schema["primaryKey"] = primary
            references = [(own, other, theirs) for own, other, theirs in foreign if other in counts]
            if references:
                schema["foreignKeys"] = [
                    {"fields": own, "reference": {"resource": f"{other}-{fmt}", "fields": theirs}}
                    for own, other, theirs in references
                ]
            resources.append(
                {
                    "name": f"{table}-{fmt}",
                    "path": f"{table}.{fmt}",
                    "format": fmt,
                    "title": described.get("title", table),
                    "description": described.get("description", ""),
                    "rows": rows,
                    "schema": schema,
                    **({"mediatype": "text/csv", "encoding": "utf-8"} if fmt == "csv" else {}),
                    **({"mediatype": "application/jsonl", "encoding": "utf-8"} if fmt == "jsonl" else {}),
                }
            )
    return {
        "profile": "data-package",
        "name": "nordic-course-aggregator",
        "title": metadata.get("title"),
        "description": "Courses and programmes in Sweden and Finland, from the national open registers and providers' web sites. "
        + english_coverage_sentence(db)
        + " Columns ending in _en_method say where each English text came from (original, provider, official, machine = machine-translated, pending = not yet).",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "licenses": [
            {
                k: v
                for k, v in {
                    "name": s["licence"],
                    "path": s.get("licence_url"),
                    "title": f"{s.get('title')}: {s['licence']}",
                }.items()
                if v
            }
            for s in sources
            if s.get("licence")
        ],
        "sources": sources,
        "resources": resources,
    }


WRITER_FILE = ".writer-pid"  # in a staging folder: the process writing it


def _writer_alive(staging: Path) -> bool | None:
    """Whether the process that wrote this staging folder still runs; None when unknown."""
    try:
        pid = int((staging / WRITER_FILE).read_text("ascii").strip())
    except (OSError, ValueError):
        return None
    if pid == os.getpid():
        return False  # this process exports one folder at a time: an earlier, failed one
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(folder: Path, older_than: float = 600) -> None:
    """Staging folders that an export killed midway left behind: every one whose writer is no
    longer running (or, without a writer's mark, older than ``older_than`` seconds), never one
    being written now."""
    for stale in folder.glob(".export-*"):
        alive = _writer_alive(stale) if stale.is_dir() else True
        age = time.time() - stale.stat().st_mtime
        # a day-old folder is stale whatever its mark says (its writer's pid may be reused)
        if alive is False or (alive is None and age > older_than) or (stale.is_dir() and age > 86400):
            shutil.rmtree(stale, ignore_errors=True)


def export(db_path: str, out_dir: str | Path) -> dict[str, int]:
    """Write every public table into out_dir; returns rows per table."""
    db = sqlite_utils.Database(db_path)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out_dir.parent)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir.parent))
    staging.chmod(0o755)  # published files: readable by the web server, not only by this user
    (staging / WRITER_FILE).write_text(str(os.getpid()), "ascii")
    try:
        counts = {t: _export_table(db, t, staging) for t in PUBLIC_TABLES if t in db.table_names()}
        (staging / "datapackage.json").write_text(
            json.dumps(_datapackage(db, db_path, counts), ensure_ascii=False, indent=2), "utf-8"
        )
        (staging / WRITER_FILE).unlink()
        if out_dir.exists():
            previous = out_dir.with_name(out_dir.name + ".previous")
            shutil.rmtree(previous, ignore_errors=True)
            out_dir.rename(previous)
            staging.rename(out_dir)
            shutil.rmtree(previous, ignore_errors=True)
        else:
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        db.close()
    return counts
