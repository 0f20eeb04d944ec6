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

import pyarrow as pa
import pyarrow.parquet as pq
import sqlite_utils

from aggregator.export_columns import (
    JSON_LINES_VALUES,
    PARQUET_VALUES,
    PROVIDER_KEY,
    PROVIDER_KEY_DESCRIPTION,
    Column,
    arrow_schema,
    column_kinds,
    package_field,
    select_columns,
    with_provider_key,
)
from aggregator.publish import metadata_for

PACKAGE_NAME = "nordic-course-aggregator"
PUBLIC_TABLES = (
    "courses",
    "providers",
    "sources",
    "crawl_runs",
    "course_changes",
    "translations",
    "course_topics",
    "course_duplicates",
)
CHUNK = 5000
# Keys of the public tables, declared in datapackage.json: (primary key, [(fields, table, its fields)])
KEYS: dict[str, tuple[list[str], list[tuple[list[str], str, list[str]]]]] = {
    "courses": (["id"], [(["source"], "sources", ["name"]), ([PROVIDER_KEY], "providers", ["id"])]),
    "providers": (["id"], [(["source"], "sources", ["name"])]),
    "sources": (["name"], []),
    "crawl_runs": (["id"], [(["source"], "sources", ["name"])]),
    "course_changes": (["id"], [(["course_id"], "courses", ["id"]), (["run_id"], "crawl_runs", ["id"])]),
    "translations": (["source_lang", "target_lang", "model", "text_hash"], []),
    "course_topics": (["course_id", "topic"], [(["course_id"], "courses", ["id"])]),
    "course_duplicates": (["id"], [(["source"], "sources", ["name"]), ([PROVIDER_KEY], "providers", ["id"])]),
}


def _export_table(
    db: sqlite_utils.Database, table: str, folder: Path, known: dict[str, str] | None = None
) -> tuple[int, list[Column]]:
    """The table in CSV, JSON Lines and Parquet, each typed (``export_columns``); its rows and columns."""
    columns = column_kinds(db, table, known)
    names = [column.name for column in columns]
    stored = select_columns(columns)
    schema = arrow_schema(columns)
    parquet_values = [PARQUET_VALUES.get(column.kind) for column in columns]
    json_values = [JSON_LINES_VALUES.get(column.kind) for column in columns]
    rows = 0
    cursor = db.execute(f"select {', '.join(f'[{n}]' for n in stored)} from [{table}] order by rowid")
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
            chunk = with_provider_key(columns, stored, chunk)
            writer.writerows(chunk)
            jsonl_file.writelines(
                json.dumps(
                    {n: (v if read is None else read(v)) for n, v, read in zip(names, row, json_values, strict=True)},
                    ensure_ascii=False,
                )
                + "\n"
                for row in chunk
            )
            parquet.write_table(
                pa.Table.from_arrays(
                    [
                        pa.array(
                            [r[i] for r in chunk] if read is None else [read(r[i]) for r in chunk],
                            type=schema.field(i).type,
                        )
                        for i, read in enumerate(parquet_values)
                    ],
                    schema=schema,
                )
            )
            rows += len(chunk)
    return rows, columns


def english_coverage_sentence(db: sqlite_utils.Database) -> str:
    """The English of the current listings as it is in this export, in one sentence."""
    if "courses" not in db.table_names():
        return ""
    rows = db.execute(
        "select coalesce(title_en_method, 'none'), count(*) from courses where removed_at is null group by 1 order by "
        "2 desc"
    ).fetchall()
    total = sum(n for _, n in rows)
    if not total:
        return "No current listings."
    english = sum(n for method, n in rows if method not in ("pending", "none"))
    methods = ", ".join(f"{method} {n}" for method, n in rows)
    share = 100 * english / total
    return f"English titles for {english} of {total} current listings ({share:.1f} %; by method: {methods})."


def _datapackage(
    db: sqlite_utils.Database, db_path: str, counts: dict[str, int], kinds: dict[str, list[Column]]
) -> dict[str, Any]:
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
        descriptions = {**(described.get("columns") or {}), PROVIDER_KEY: PROVIDER_KEY_DESCRIPTION}
        if table == "course_duplicates":  # the same columns as courses, described there
            descriptions = {**((tables.get("courses") or {}).get("columns") or {}), **descriptions}
        fields = {
            fmt: [package_field(column, fmt, descriptions.get(column.name, "")) for column in kinds[table]]
            for fmt in ("csv", "jsonl", "parquet")
        }
        primary, foreign = KEYS.get(table, ([], []))
        # An empty table's JSON Lines file has no lines (valid JSON Lines, read by DuckDB and
        # pandas as no rows), but frictionless 5 cannot open an empty JSON Lines file: the
        # package lists it only in CSV and Parquet, which describe the same empty table.
        for fmt in ("csv", "jsonl", "parquet") if rows else ("csv", "parquet"):
            schema: dict[str, Any] = {"fields": fields[fmt]}
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
        "name": PACKAGE_NAME,
        "title": metadata.get("title"),
        "description": "Courses and programmes in Sweden and Finland, from the national open registers and providers' "
        "web sites. "
        + english_coverage_sentence(db)
        + " Columns ending in _en_method say where each English text came from (original, provider, official, machine "
        "= machine-translated, pending = not yet).",
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


class ExportRefused(ValueError):
    """The export's folder would replace something that is not an earlier export."""


def export_target_problem(out_dir: str | Path) -> str | None:
    """Why ``out_dir`` may not be replaced by an export, or None: it must not exist, be an empty
    folder, or be an export folder this project wrote (its datapackage.json names the package and
    every file in it is one the package lists). Anything else (a file, a folder of other files)
    is refused before anything is written: an export replaces its folder as a whole."""
    out_dir = Path(out_dir)
    if not out_dir.exists() and not out_dir.is_symlink():
        return None
    if not out_dir.is_dir() or out_dir.is_symlink():
        return f"{out_dir} exists and is not an export folder: give a new folder (e.g. exports/) for --out"
    entries = {entry.name for entry in out_dir.iterdir()}
    if not entries:
        return None
    try:
        package = json.loads((out_dir / "datapackage.json").read_text("utf-8"))
        # every format of each table the package lists (an empty table's JSON Lines file is not listed)
        tables = {Path(resource["path"]).stem for resource in package["resources"]}
        ours = {"datapackage.json"} | {f"{table}.{fmt}" for table in tables for fmt in ("csv", "jsonl", "parquet")}
        if package.get("name") != PACKAGE_NAME:
            raise ValueError(package.get("name"))
    except (OSError, ValueError, KeyError, TypeError):
        return f"{out_dir} is a folder this project did not export into: give a new or empty folder"
    others = sorted(entries - ours)
    if others:
        return (
            f"{out_dir} holds files that are not part of its export ({', '.join(others[:3])}): "
            "move them away or give another folder"
        )
    return None


def export(db_path: str, out_dir: str | Path) -> dict[str, int]:
    """Write every public table into out_dir; returns rows per table. Raises ExportRefused,
    before anything is written, when out_dir is not a folder an export may replace."""
    problem = export_target_problem(out_dir)
    if problem:
        raise ExportRefused(problem)
    db = sqlite_utils.Database(db_path)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out_dir.parent)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir.parent))
    staging.chmod(0o755)  # published files: readable by the web server, not only by this user
    (staging / WRITER_FILE).write_text(str(os.getpid()), "ascii")
    try:
        exported: dict[str, tuple[int, list[Column]]] = {}
        for table in (t for t in PUBLIC_TABLES if t in db.table_names()):
            known = {c.name: c.kind for c in exported["courses"][1]} if "courses" in exported else None
            exported[table] = _export_table(db, table, staging, known)
        counts = {table: rows for table, (rows, _) in exported.items()}
        kinds = {table: columns for table, (_, columns) in exported.items()}
        (staging / "datapackage.json").write_text(
            json.dumps(_datapackage(db, db_path, counts, kinds), ensure_ascii=False, indent=2), "utf-8"
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
