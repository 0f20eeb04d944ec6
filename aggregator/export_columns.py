"""What each exported column is, read from the values the table holds, so that every file is typed
the way researchers read it: SQLite stores dates, times, lists and objects as text.

A text column is a **date** when every value is an ISO date (``2027-01-11``), a **datetime** when
every value is an ISO date and time with its offset (``2026-12-02T18:59:05+00:00``), an
**array** when every value is a JSON array of strings (``["fi", "sv"]``), an **object** when
every value is a JSON object; else text. Codes (municipality, region) are text whatever their
digits look like. Parquet stores them as ``date32``, ``timestamp[us, UTC]`` (the instant; the
offset the source gave is in the CSV and JSON Lines), ``list<string>`` and JSON text; JSON Lines
as date strings, arrays and objects; CSV as text, with their types in datapackage.json.

``provider_key`` is added to the listings (courses, course_duplicates): the key of the listing's
provider in ``providers.id`` (``store.rows.provider_key``: the source's provider id, or for a
source without one, such as Skolverket's Planned Educations, the provider's name), so that
every listing with a provider joins to its provider.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import sqlite_utils

from store.rows import provider_key

# SQLite's GLOB patterns of an ISO date, and of an ISO date and time
_DATE = "[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]"
_DATETIME = _DATE + "T[0-2][0-9]:[0-5][0-9]*"
_OFFSET = "*[+-][0-2][0-9]:[0-5][0-9]"
KINDS_OF_TEXT = ("date", "datetime", "array", "object")
PROVIDER_KEY = "provider_key"
PROVIDER_KEY_TABLES = ("courses", "course_duplicates")
PROVIDER_KEY_DESCRIPTION = (
    "Key of the listing's provider in providers.id (from the source's provider id, or the provider's name where the "
    "source gives no id); empty when the listing names no provider"
)
# a sample value of each kind, from which pyarrow derives the Parquet type and pandas' metadata
_SAMPLES = {
    "integer": pd.array([1], dtype="Int64"),
    "number": pd.array([1.5], dtype="Float64"),
    "string": pd.array(["a"], dtype="string"),
    "object": pd.array(["{}"], dtype="string"),
    "date": pd.Series([date(2000, 1, 1)], dtype=object),
    "datetime": pd.Series(pd.to_datetime(["2000-01-01T00:00:00Z"]).as_unit("us")),
    "array": pd.Series([["a"]], dtype=object),
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # integer, number, string, date, datetime, array, object (frictionless' names)


def column_kinds(db: sqlite_utils.Database, table: str, known: dict[str, str] | None = None) -> list[Column]:
    """The table's columns with their kinds (one scan of the table), ``provider_key`` after
    ``provider_id`` in the listings. ``known``: the kinds of columns of the same name elsewhere
    (course_duplicates has the columns of courses), for columns with no value here."""
    declared = [(c.name, (c.type or "TEXT").upper()) for c in db[table].columns]
    texts = [name for name, kind in declared if kind not in ("INTEGER", "REAL", "FLOAT")]
    tallies: dict[str, dict[str, int]] = {}
    if texts:
        parts = []
        for name in texts:
            c = f"[{name}]"
            parts += [
                f"count({c})",
                f"sum({c} glob '{_DATE}')",
                f"sum({c} glob '{_DATETIME}' and ({c} glob '{_OFFSET}' or {c} glob '*Z'))",
                f"sum(json_valid({c}) and substr({c}, 1, 1) = '[')",
                f"sum(json_valid({c}) and substr({c}, 1, 1) = '{{')",
            ]
        row = db.execute(f"select {', '.join(parts)} from [{table}]").fetchone()
        for position, name in enumerate(texts):
            total, dates, datetimes, arrays, objects = (n or 0 for n in row[position * 5 : position * 5 + 5])
            tallies[name] = {"total": total, "date": dates, "datetime": datetimes, "array": arrays, "object": objects}
    columns = []
    for name, sqlite_type in declared:
        if sqlite_type == "INTEGER":
            kind = "integer"
        elif sqlite_type in ("REAL", "FLOAT"):
            kind = "number"
        else:
            tally = tallies[name]
            if not tally["total"] and known and name in known:
                kind = known[name]
            else:
                kind = next((k for k in KINDS_OF_TEXT if tally["total"] and tally[k] == tally["total"]), "string")
                if kind == "array" and not _arrays_of_strings(db, table, name):
                    kind = "string"
        columns.append(Column(name, kind))
        if name == "provider_id" and table in PROVIDER_KEY_TABLES:
            columns.append(Column(PROVIDER_KEY, "string"))
    return columns


def _arrays_of_strings(db: sqlite_utils.Database, table: str, name: str) -> bool:
    other = db.execute(
        f"select 1 from [{table}], json_each([{table}].[{name}]) as item where item.type <> 'text' limit 1"
    ).fetchone()
    return other is None


def arrow_schema(columns: list[Column]) -> pa.Schema:
    """The Parquet schema, with pandas' metadata: pandas reads integers with nulls as nullable
    integers (Int64), dates as dates, lists as lists."""
    frame = pd.DataFrame({column.name: _SAMPLES[column.kind] for column in columns})
    return pa.Schema.from_pandas(frame, preserve_index=False)


def select_columns(columns: list[Column]) -> list[str]:
    """The stored columns to read, in order (``provider_key`` is worked out, not stored)."""
    return [column.name for column in columns if column.name != PROVIDER_KEY]


def with_provider_key(columns: list[Column], names: list[str], rows: list[tuple]) -> list[tuple]:
    """Rows in ``columns``' order: ``provider_key`` worked out from source, provider id and name."""
    if not any(column.name == PROVIDER_KEY for column in columns):
        return rows
    at = {name: position for position, name in enumerate(names)}
    source, provider, name = at["source"], at["provider_id"], at["provider_name"]
    cut = at["provider_id"] + 1
    return [(*row[:cut], provider_key(row[source], row[provider], row[name]), *row[cut:]) for row in rows]


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _datetime(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _json(value: Any) -> Any:
    return None if value is None else json.loads(value)


def package_field(column: Column, fmt: str, description: str) -> dict[str, Any]:
    """The column in datapackage.json. A list is an ``array`` of strings; in Parquet it is a
    ``list<string>``, which frictionless 5 reads as a numpy array and cannot check as an array,
    so there it is described as ``any`` with what it is."""
    field: dict[str, Any] = {"name": column.name, "type": column.kind, "description": description}
    if column.kind == "array":
        if fmt == "parquet":
            field["type"] = "any"
            field["description"] = (
                description + " " if description else ""
            ) + "(a list of strings: Parquet list<string>)"
        else:
            field["arrayItem"] = {"type": "string"}
    return field


PARQUET_VALUES = {"date": _date, "datetime": _datetime, "array": _json}
JSON_LINES_VALUES = {"array": _json, "object": _json}
