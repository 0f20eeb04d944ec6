"""The translation cache: the ``translations`` table of aggregator.db, keyed by source language,
target language, model (package and version) and the SHA-1 of the text. Unchanged text is never
translated twice; a new model version translates again."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

import sqlite_utils


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class TranslationCache:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.hits = 0
        self.misses = 0

    def get_many(self, texts: Iterable[str], source: str, target: str, model: str) -> dict[str, str]:
        wanted = {text_hash(t): t for t in texts}
        found: dict[str, str] = {}
        hashes = list(wanted)
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            rows = self.db.execute(
                f"select text_hash, translated_text from translations where source_lang = ? and target_lang = ? "
                f"and model = ? and text_hash in ({','.join('?' * len(chunk))})",
                [source, target, model, *chunk],
            ).fetchall()
            for digest, translated in rows:
                found[wanted[digest]] = translated
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return found

    def put_many(self, pairs: dict[str, str], source: str, target: str, model: str) -> None:
        if not pairs:
            return
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        with self.db.atomic():
            self.db["translations"].upsert_all(
                [
                    {
                        "source_lang": source,
                        "target_lang": target,
                        "model": model,
                        "text_hash": text_hash(text),
                        "source_text": text,
                        "translated_text": translated,
                        "created_at": stamp,
                    }
                    for text, translated in pairs.items()
                ],
                pk=("source_lang", "target_lang", "model", "text_hash"),
            )
