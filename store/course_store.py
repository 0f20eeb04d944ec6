"""One run's writes: ``CourseStore`` upserts one source's listings with their history (new,
changed, unchanged, restored), their providers and topic tags, keeps test entries apart, and
applies "one offering, one listing" (``store.offerings``) as it goes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import sqlite_utils

from store import offerings
from store.indexes import DEFAULT_DEFER_INDEXES_AFTER, defer_course_indexes, restore_deferred_indexes
from store.listing import Course, HeldBack
from store.rows import UnstorableValue, content_fields, course_id, course_row, derived_fields, now_iso, provider_key


def update_current(db: sqlite_utils.Database, ids: list[str], run_id: int, **values: Any) -> int:
    """Mark the listed courses not already removed as touched by ``run_id``, setting ``values``
    on them too; returns how many there were."""
    assignments = "".join(f"[{column}] = ?, " for column in values)
    changed = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        cursor = db.execute(
            f"update courses set {assignments}last_run_id = ? where id in ({','.join('?' * len(chunk))}) and "
            f"removed_at is null",
            [*values.values(), run_id, *chunk],
        )
        changed += cursor.rowcount
    return changed


def write_rows(db: sqlite_utils.Database, column_order: list[str], writes: list[dict[str, Any]]) -> None:
    """Insert or replace whole rows of a batch with one statement.

    The values are already encoded, so sqlite-utils' per-value conversion and query
    building are not needed. The rows go first into a temporary table (no triggers), then
    into courses with a single ``insert … select``: FTS5 writes its pending index data to
    disk at every statement that touches it, so a statement per row (``executemany``)
    left one tiny index segment per listing to be merged again and again — three times
    the cost of indexing the same rows in one statement."""
    columns = [c for c in column_order if c in writes[0]]
    if any(len(w) != len(columns) for w in writes):
        db["courses"].upsert_all(writes, pk="id", alter=False)  # rows of differing shapes
        return
    names = ", ".join(f"[{c}]" for c in columns)
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c != "id")
    db.execute("drop table if exists temp.course_batch")
    db.execute(f"create temp table course_batch as select {names} from courses where 0")
    db.conn.executemany(
        f"insert into temp.course_batch ({names}) values ({', '.join('?' * len(columns))})",
        [[w[c] for c in columns] for w in writes],
    )
    # "where true": SQLite's documented way to parse an upsert whose source is a SELECT.
    db.execute(
        f"insert into courses ({names}) select {names} from temp.course_batch where true"
        f" on conflict(id) do update set {updates}"
    )
    db.execute("drop table temp.course_batch")


def record_providers(db: sqlite_utils.Database, source: str, rows: list[dict[str, Any]], stamp: str) -> None:
    """The providers of these rows, with when each was first and last seen."""
    providers = {}
    for row in rows:
        key = provider_key(source, row.get("provider_id"), row.get("provider_name"))
        if key:
            providers[key] = {
                "id": key,
                "source": source,
                "source_provider_id": row.get("provider_id"),
                "name": row.get("provider_name"),
                "country": row.get("country"),
                "last_seen": stamp,
            }
    if not providers:
        return
    known = {
        r["id"]
        for r in db.query(
            f"select id from providers where id in ({','.join('?' * len(providers))})",
            list(providers),
        )
    }
    for key, provider in providers.items():
        if key not in known:
            provider["first_seen"] = stamp
    db["providers"].upsert_all(list(providers.values()), pk="id")


def replace_topics(db: sqlite_utils.Database, courses: list[Course]) -> None:
    """The topic tags of these listings, replacing what an earlier run tagged."""
    if not courses or "course_topics" not in db.table_names():
        return
    ids = [c.id for c in courses]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        db.execute(f"delete from course_topics where course_id in ({','.join('?' * len(chunk))})", chunk)
    rows = {
        # one row per listing and topic: a topic named twice keeps its last evidence
        (c.id, t["topic"]): {
            "course_id": c.id,
            "topic": t["topic"],
            "label": t.get("label"),
            "matched_terms": json.dumps(t["terms"], ensure_ascii=False),
            "matched_fields": json.dumps(t["fields"]),
        }
        for c in courses
        for t in c.topics
    }
    if rows:
        db["course_topics"].insert_all(rows.values())


class CourseStore:
    """Writes one source's items for one crawl run; counts new/changed/unchanged/removed.

    A bulk load (more than ``defer_indexes_after`` new listings, and more than the table held
    when the run started) drops the secondary indexes of courses for the rest of the run, and
    ``finish`` makes them again: at 300,000 listings, maintaining 11 indexes row by row took
    about 35 s of the load, building them once at the end 6 s. Call ``finish`` when the run
    ends; ``open_db`` makes any indexes a crashed run left dropped.
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        source: str,
        run_id: int,
        defer_indexes_after: int = DEFAULT_DEFER_INDEXES_AFTER,
        kind: str = "register",
        preferred_source: str | None = None,
        mask_history: Callable[[str], str] | None = None,
    ) -> None:
        self.db = db
        # applied to the values course_changes records: an old value was stored by an older
        # version, perhaps before its personal data was masked (pipelines.clean masks new ones)
        self.mask_history = mask_history or (lambda text: text)
        self.source = source
        self.kind = kind  # "register" or "provider_site" (store.offerings: a site's listing of a register's offering)
        # the source whose listing of the same source id is the listing (the spider's preferred_source)
        self.preferred_source = preferred_source
        self.run_id = run_id
        self.counts = {
            "new": 0,
            "changed": 0,
            "unchanged": 0,
            "restored": 0,
            "removed": 0,
            "kept": 0,
            "merged_duplicates": 0,
            # kept apart from courses: another source's listing of the same offering
            # (duplicates; moved out when the preferred source lists it: duplicates_absorbed),
            # test and placeholder entries (held_back; moved out: held_back_removed)
            "duplicates": 0,
            "duplicates_absorbed": 0,
            "held_back": 0,
            "held_back_removed": 0,
            # listings with a value their field's declared type cannot store: kept as stored
            "unstorable": 0,
        }
        # what was wrong with each unstorable listing (UnstorableValue messages), for the log;
        # the caller takes them (``take_problems``)
        self.problems: list[str] = []
        # Deletion records seen during the run: applied by ``finish_run`` only when the run is
        # judged clean, like the removal of unseen listings (a run that fails changes nothing).
        self.staged_removals: set[str] = set()
        # Stored listings turned into test or placeholder entries (id -> reason): out of what is
        # published only when the run is judged clean (``finish_run``), their rows kept.
        self.staged_holdbacks: dict[str, str] = {}
        # ids this run has written, seen or kept: each listing is counted once per run
        self.written: set[str] = set()
        self.column_order = list(db["courses"].columns_dict)
        self.columns = set(self.column_order)
        self.defer_indexes_at = max(defer_indexes_after, db["courses"].count + 1)
        self.deferred_indexes: list[str] = []

    def finish(self) -> list[str]:
        """End of the run: make the indexes a bulk load dropped (returns their names); for a
        register, provider sites' listings of the offerings it lists leave courses for
        course_duplicates (``store.offerings``)."""
        rebuilt: list[str] = []
        if self.deferred_indexes:
            self.deferred_indexes = []
            rebuilt = restore_deferred_indexes(self.db)
        if self.kind == "register":
            self.counts["duplicates_absorbed"] += offerings.absorb_site_listings(self.db)
        return rebuilt

    def write(self, courses: Iterable[Course], seen_ids: Iterable[str] = (), kept_ids: Iterable[str] = ()) -> None:
        """Upsert a batch in one transaction. The same listing twice in one batch is merged (the
        last one wins, counted in ``merged_duplicates``): a second row would break the batch's
        unique keys. Deletion records are staged, not applied (see ``staged_removals``);
        ``kept_ids`` are source ids whose stored listing stays as it is."""
        stamp = now_iso()
        latest: dict[str, Course] = {}
        for c in courses:
            if c.id in latest or c.id in self.written:
                self.counts["merged_duplicates"] += 1
                latest.pop(c.id, None)  # re-inserted below: the batch keeps the order of last sight
            latest[c.id] = c
        live = [c for c in latest.values() if not c.removed]
        self.staged_removals.update(c.id for c in latest.values() if c.removed and c.id)
        self.staged_removals.difference_update(c.id for c in live)
        for c in live:
            self.staged_holdbacks.pop(c.id, None)
        rows, unstorable = [], []
        for c in live:
            try:
                rows.append(course_row(c))
            except UnstorableValue as problem:
                self.problems.append(str(problem))
                unstorable.append(c)
        if unstorable:
            self.counts["unstorable"] += len(unstorable)
            left_out = {c.id for c in unstorable}
            live = [c for c in live if c.id not in left_out]
        # a listing counts once per run: seen again after it was written, it is a duplicate
        repeats = {c.id for c in live} & self.written
        seen, kept = [], []
        for ids, out in ((seen_ids, seen), (kept_ids, kept)):
            for source_id in ids:
                key = course_id(self.source, source_id)
                if key in latest or key in self.written:
                    self.counts["merged_duplicates"] += 1
                else:
                    self.written.add(key)
                    out.append(key)
        kept += [c.id for c in unstorable]  # the stored listing (if any) stays exactly as it was
        with self.db.atomic():
            rows, duplicates = offerings.split_duplicates(self.db, rows, self.kind, self.preferred_source)
            if self.preferred_source or self.kind == "provider_site":  # listed here again: no longer a duplicate
                offerings.release_duplicates(self.db, [r["id"] for r in rows])
            held_since = self._release_held_back([r["id"] for r in rows])
            self._upsert(rows, stamp, repeats, type(live[0]) if live else Course, held_since)
            replace_topics(self.db, [c for c in live if c.id not in duplicates])
            self._touch(seen, stamp)
            self._keep_duplicates(duplicates, stamp)
            self.counts["duplicates_absorbed"] += offerings.absorb_same_ids(
                self.db, self.source, {c.source_id: c.id for c in live}
            )
            self.counts["kept"] += update_current(self.db, kept, self.run_id)
        self.written.update(latest)
        if not self.deferred_indexes and self.counts["new"] >= self.defer_indexes_at:
            self.deferred_indexes = defer_course_indexes(self.db)

    def take_problems(self) -> list[str]:
        """What was wrong with the listings not stored since the last call (one line each)."""
        problems, self.problems = self.problems, []
        return problems

    def _keep_duplicates(self, duplicates: dict[str, dict[str, Any]], stamp: str) -> None:
        offerings.keep_duplicates(self.db, duplicates, stamp, self.run_id)
        self.written.update(duplicates)
        self.counts["duplicates"] += len(duplicates)

    def hold_back(self, items: Iterable[HeldBack]) -> None:
        """Record test and placeholder listings in ``held_back_listings`` (with the reason, first
        and last seen) instead of ``courses``. One that an earlier run stored as a listing is
        held back like a removal: its row stays in courses as it was (seen by this run, so not
        unseen), and leaves what is published only when the run is judged clean
        (``staged_holdbacks``, applied by ``store.runs.finish_run``: ``removed_at`` set, the row
        kept). When it comes back as a real listing it is the same row, with its first_seen."""
        stamp = now_iso()
        rows = {}
        for item in items:
            key = course_id(self.source, item.source_id)
            self.written.add(key)
            rows[key] = {
                "id": key,
                "source": self.source,
                "source_id": item.source_id,
                "title": item.title,
                "provider_name": item.provider_name,
                "url": item.url,
                "source_url": item.source_url,
                "reason": item.reason,
                "first_seen": stamp,
                "last_seen": stamp,
                "last_run_id": self.run_id,
            }
        if not rows:
            return
        marks = ",".join("?" * len(rows))
        with self.db.atomic():
            known = dict(
                self.db.execute(f"select id, first_seen from held_back_listings where id in ({marks})", list(rows))
            )
            # a listing of courses keeps its own first_seen in the record of it held back
            listed = dict(
                self.db.execute(
                    f"select id, first_seen from courses where id in ({marks}) and removed_at is null", list(rows)
                )
            )
            for key, row in rows.items():
                row["first_seen"] = listed.get(key) or known.get(key, stamp)
            self.db["held_back_listings"].upsert_all(rows.values(), pk="id")
            update_current(self.db, list(listed), self.run_id)  # seen: kept as it is until the verdict
        self.staged_holdbacks.update({key: rows[key]["reason"] for key in listed})
        self.counts["held_back"] += len(rows)

    def _release_held_back(self, ids: list[str]) -> dict[str, str]:
        """Listings written as real ones again leave ``held_back_listings``; returns when each
        was first seen there (a test entry that becomes a listing keeps that first_seen)."""
        since: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            since.update(self.db.execute(f"select id, first_seen from held_back_listings where id in ({marks})", chunk))
            if since:
                self.db.execute(f"delete from held_back_listings where id in ({marks})", chunk)
        return since

    def _existing(self, ids: list[str], columns: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.query(f"select {columns} from courses where id in ({marks})", chunk):
                found[row["id"]] = row
        return found

    def _upsert(
        self,
        rows: list[dict[str, Any]],
        stamp: str,
        repeats: set[str] = frozenset(),
        listing: type = Course,
        held_since: dict[str, str] | None = None,
    ) -> None:
        if not rows:
            return
        derived_names, content_names = derived_fields(listing), content_fields(listing)
        existing = self._existing([r["id"] for r in rows], "*")
        writes, changes = [], []
        uncounted = dict.fromkeys(self.counts, 0)  # where a listing written earlier in this run is counted
        for row in rows:
            old = existing.get(row["id"])
            tally = uncounted if row["id"] in repeats else self.counts
            row["last_seen"] = stamp
            row["removed_at"] = None
            row["last_run_id"] = self.run_id
            if old is None:
                row["first_seen"] = (held_since or {}).get(row["id"]) or stamp
                tally["new"] += 1
            else:
                row["first_seen"] = old["first_seen"]
                if old["removed_at"] is not None:
                    tally["restored"] += 1
                if old["content_hash"] == row["content_hash"]:
                    if old["removed_at"] is None:
                        tally["unchanged"] += 1
                    # Unchanged source facts: no change record, but what the pipelines derived
                    # (languages, English) is refreshed, unless it would replace English with
                    # "pending" (a crawl without a model after a backfill with one).
                    derived = {k: row[k] for k in derived_names if k in self.columns}
                    for field in ("title", "description"):
                        if row.get(f"{field}_en_method") == "pending" and old.get(f"{field}_en_method") not in (
                            None,
                            "pending",
                        ):
                            for suffix in ("_en", "_en_method", "_en_model"):
                                derived.pop(field + suffix, None)
                    assignments = ", ".join(f"[{k}] = ?" for k in derived)
                    self.db.execute(
                        f"update courses set last_seen = ?, removed_at = null, last_run_id = ?, fetched_at = ?, "
                        f"{assignments} where id = ?",
                        [stamp, self.run_id, row["fetched_at"], *derived.values(), row["id"]],
                    )
                    continue
                tally["changed"] += 1
                for name in content_names:
                    if name in old and old[name] != row[name] and name != "source_modified_at":
                        changes.append(
                            {
                                "course_id": row["id"],
                                "run_id": self.run_id,
                                "changed_at": stamp,
                                "field": name,
                                "old_value": None if old[name] is None else self.mask_history(str(old[name])),
                                "new_value": None if row[name] is None else self.mask_history(str(row[name])),
                            }
                        )
            writes.append({k: v for k, v in row.items() if k in self.columns})
        if writes:
            write_rows(self.db, self.column_order, writes)
        if changes:
            self.db["course_changes"].insert_all(changes)
        record_providers(self.db, self.source, rows, stamp)

    def _touch(self, ids: list[str], stamp: str) -> None:
        self.counts["unchanged"] += update_current(self.db, ids, self.run_id, last_seen=stamp)
