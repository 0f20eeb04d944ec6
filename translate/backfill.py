"""Fills in English for stored listings without crawling again: every "pending" field, and every
machine translation made by another model version than the one installed now."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import sqlite_utils

from translate.base import MACHINE, PENDING
from translate.english import English, EnglishService

FIELDS = ("title", "description")
JSON_COLUMNS = ("title_i18n", "description_i18n", "text_languages", "extras", "copied_variants")


def _candidates(db: sqlite_utils.Database) -> Iterator[dict[str, Any]]:
    yield from db.query(
        "select * from courses where removed_at is null and ("
        "title_en_method = 'pending' or description_en_method = 'pending' "
        "or title_en_method = 'machine' or description_en_method = 'machine')"
    )


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    fields = dict(row)
    for column in JSON_COLUMNS:
        value = fields.get(column)
        fields[column] = (
            json.loads(value) if isinstance(value, str) and value else ({} if column != "copied_variants" else [])
        )
    return fields


def work(db: sqlite_utils.Database, service: EnglishService) -> list[tuple[str, str, str, str]]:
    """(course id, field, source language, text) of every field to translate now."""
    todo = []
    for row in _candidates(db):
        fields = _fields(row)
        for field in FIELDS:
            method = row.get(f"{field}_en_method")
            if method not in (PENDING, MACHINE):
                continue
            decision = service.decide(field, fields)
            if isinstance(decision, English):
                continue  # still no model for this language (or no longer needs one)
            if method == MACHINE and row.get(f"{field}_en_model") == service.model_for(decision):
                continue  # translated by the model installed now
            todo.append((row["id"], field, decision, row[field]))
    return todo


def backfill(
    db: sqlite_utils.Database,
    service: EnglishService,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
    todo: list[tuple[str, str, str, str]] | None = None,
) -> dict[str, int]:
    """Translate ``todo`` (default: ``work(db, service)``), a batch per transaction."""
    todo = work(db, service) if todo is None else todo
    counts = {"fields": len(todo), "translated": 0}
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        by_language: dict[str, list[tuple[str, str, str]]] = {}
        for course_id, field, lang, text in batch:
            by_language.setdefault(lang, []).append((course_id, field, text))
        updates = []
        for lang, keys in by_language.items():
            translated, model = service.translate([text for _, _, text in keys], lang)
            for course_id, field, text in keys:
                updates.append((course_id, field, translated[text], model))
        with db.atomic():
            for course_id, field, text, model in updates:
                db.execute(
                    f"update courses set [{field}_en] = ?, [{field}_en_method] = ?, [{field}_en_model] = ? where id = "
                    f"?",
                    [text, MACHINE, model, course_id],
                )
        counts["translated"] += len(updates)
        if progress:
            progress(len(batch))
    return counts
