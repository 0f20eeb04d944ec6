"""English labels of the listings' field of education (ISCED-F 2013) and occupation codes
(SSYK 2012), from the classification files in ``aggregator/data/`` (see its README: where they
come from). A code the file lacks is labelled by its nearest parent the file has, so a detailed
field or unit group added to a classification still reads as something."""

from __future__ import annotations

import csv
import json
import sqlite3
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=2)
def _labels(name: str) -> dict[str, str]:
    with (DATA / name).open(encoding="utf-8", newline="") as rows:
        return {row["code"]: row["label"] for row in csv.DictReader(rows)}


def isced_f_label(code: str) -> str | None:
    """ "0714" -> "0714 Electronics and automation"; "0718" -> "0718 (in 071 Engineering and
    engineering trades)"; None for a code of no known field."""
    labels = _labels("isced_f_2013.csv")
    if code in labels:
        return f"{code} {labels[code]}"
    for parent in (code[:3], code[:2]):
        if len(parent) < len(code) and parent in labels:
            return f"{code} (in {parent} {labels[parent]})"
    return None


def occupation_label(value: str) -> str | None:
    """ "SSYK 7212" -> "SSYK 7212 Welders and flame cutters"; another unit group by its major
    group; a title (Opintopolku's ammattinimikkeet) has no label: it is shown as given."""
    if not value.startswith("SSYK "):
        return None
    code = value.removeprefix("SSYK ")
    labels = _labels("ssyk_2012.csv")
    if code in labels:
        return f"{value} {labels[code]}"
    if code[:1] in labels:
        return f"{value} (major group {code[:1]}: {labels[code[:1]]})"
    return None


def classification_labels(conn: sqlite3.Connection) -> list[dict[str, str]]:
    """Label rows for every field of education and occupation code the listings carry."""
    columns = {row[1] for row in conn.execute("pragma table_info(courses)")}
    rows = []
    if "isced_f" in columns:
        for (code,) in conn.execute("select distinct isced_f from courses where isced_f is not null"):
            label = isced_f_label(str(code))
            if label:
                rows.append({"column": "isced_f", "value": str(code), "label": label})
    if "occupations" in columns:
        seen = set()
        for (value,) in conn.execute(
            "select distinct occupations from courses where occupations like '%SSYK %' and json_valid(occupations)"
        ):
            for item in json.loads(value):
                label = occupation_label(str(item)) if item not in seen else None
                seen.add(item)
                if label:
                    rows.append({"column": "occupations", "value": str(item), "label": label})
    return rows
