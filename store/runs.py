"""Crawl-run bookkeeping and the rule that decides when unseen listings count as removed.

A source's unseen listings are marked removed only when its crawl finished cleanly (Scrapy's
finish reason "finished", no request or parse errors), covered the whole source (no filters),
and saw a plausible number of listings: at least ``min_share`` of the last successful run.
Otherwise the run is flagged and nothing is marked removed. Nothing is ever deleted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from store.course_store import update_current
from store.rows import now_iso

DEFAULT_MIN_SHARE = 0.5
# Failures of the transport, counted with the HTTP error statuses in crawl_runs.http_errors.
HTTP_ERROR_KINDS = {"timeout", "dns", "connection", "offsite_redirect", "too_large"}


@dataclass
class RunVerdict:
    status: str  # "finished" | "flagged" | "failed"
    note: str
    mark_removed: bool


def register_source(db: sqlite_utils.Database, meta: dict[str, Any]) -> None:
    db["sources"].upsert(meta, pk="name", alter=True)


def start_run(db: sqlite_utils.Database, source: str) -> int:
    with db.atomic():
        table = db["crawl_runs"].insert({"source": source, "started_at": now_iso(), "status": "running"})
    return int(table.last_pk)


def last_successful(db: sqlite_utils.Database, source: str, before_run: int) -> dict[str, Any] | None:
    rows = list(
        db.query(
            # the reference for "too few listings" is a complete run, not a partial one
            # (filters, or an incremental run that saw only what changed)
            "select * from crawl_runs where source = ? and status = 'finished' and id < ? "
            "and not coalesce(partial, 0) order by id desc limit 1",
            [source, before_run],
        )
    )
    return rows[0] if rows else None


def judge(
    *,
    finish_reason: str,
    items: int,
    errors: int,
    partial: bool,
    previous: dict[str, Any] | None,
    min_share: float = DEFAULT_MIN_SHARE,
) -> RunVerdict:
    if finish_reason != "finished":
        return RunVerdict("failed", f"crawl ended early ({finish_reason}); nothing marked removed", False)
    if items == 0 and not partial:
        return RunVerdict("failed", "zero listings seen; nothing marked removed", False)
    if previous and previous.get("items") and not partial:
        floor = previous["items"] * min_share
        if items < floor:
            return RunVerdict(
                "flagged",
                f"{items} listings is below {min_share:.0%} of the last successful run "
                f"({previous['items']}); nothing marked removed",
                False,
            )
    if previous is not None and errors > max(10, 2 * (previous.get("errors") or 0)):
        return RunVerdict(
            "flagged",
            f"{errors} errors (last successful run: {previous.get('errors') or 0}); nothing marked removed",
            False,
        )
    if errors:
        return RunVerdict("flagged", f"{errors} request/parse errors; nothing marked removed", False)
    if partial:
        return RunVerdict("finished", "partial crawl (filters or change feed); unseen listings kept", False)
    return RunVerdict("finished", "", True)


def error_counts(stats: dict[str, Any]) -> dict[str, int]:
    out = {}
    for key, value in stats.items():
        if key.startswith("aggregator/errors/"):
            out[key.split("/", 2)[2]] = int(value)
        elif key.startswith("spider_exceptions/") and key.count("/") == 1 and key != "spider_exceptions/count":
            # Scrapy counts each exception under its class name and again in a total
            out["exception_" + key.split("/", 1)[1]] = int(value)
    return out


def _prefixed(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: int(v) for k, v in sorted(stats.items()) if k.startswith(prefix)}


def finish_run(
    db: sqlite_utils.Database,
    run_id: int,
    source: str,
    *,
    finish_reason: str,
    stats: dict[str, Any],
    counts: dict[str, int],
    partial: bool,
    min_share: float = DEFAULT_MIN_SHARE,
    staged_removals: Iterable[str] = (),
) -> RunVerdict:
    """Close the run: judge it, and only when it is judged clean apply its removals (the
    deletion records it staged, and for a complete run every listing it did not see)."""
    staged = list(staged_removals)
    errors_by_kind = error_counts(stats)
    errors = sum(errors_by_kind.values())
    http_errors = sum(v for k, v in errors_by_kind.items() if k.startswith("http_") or k in HTTP_ERROR_KINDS)
    # listings seen: stored ones, and those kept apart (another source's listing of the same
    # offering, a test entry) which are seen all the same
    items = (
        counts["new"]
        + counts["changed"]
        + counts["unchanged"]
        + counts.get("duplicates", 0)
        + counts.get("held_back", 0)
    )
    verdict = judge(
        finish_reason=finish_reason,
        items=items,
        errors=errors,
        partial=partial,
        previous=last_successful(db, source, run_id),
        min_share=min_share,
    )
    if stats.get("aggregator/storage_error"):
        verdict = RunVerdict(
            "failed", f"storage error ({stats['aggregator/storage_error']}); nothing marked removed", False
        )
    if staged and verdict.status != "finished":
        verdict.note += f" ({len(staged)} deletion record(s) of the source not applied)"
    stamp = now_iso()
    removed = 0
    with db.atomic():
        if verdict.status == "finished":
            removed += update_current(db, staged, run_id, removed_at=stamp)
        if verdict.mark_removed:
            cursor = db.execute(
                "update courses set removed_at = ? where source = ? and removed_at is null "
                "and (last_run_id is null or last_run_id != ?)",
                [stamp, source, run_id],
            )
            removed += cursor.rowcount
        db["crawl_runs"].update(
            run_id,
            {
                "finished_at": stamp,
                "status": verdict.status,
                "finish_reason": finish_reason,
                "items": items,
                "new": counts["new"],
                "changed": counts["changed"],
                "unchanged": counts["unchanged"],
                "restored": counts["restored"],
                "removed": removed,
                "dropped": sum(_prefixed(stats, "aggregator/dropped/").values()),
                "errors": errors,
                "http_errors": http_errors,
                "not_found": int(stats.get("aggregator/not_found", 0)),
                "missing_fields": json.dumps(_prefixed(stats, "aggregator/missing/")),
                "invalid_fields": json.dumps(_prefixed(stats, "aggregator/invalid/")),
                "error_counts": json.dumps(errors_by_kind),
                "note": verdict.note or None,
                "partial": int(partial),
                "counters": json.dumps(
                    {
                        k.split("/", 1)[1]: v
                        for k, v in sorted(stats.items())
                        if k.startswith("aggregator/") and isinstance(v, (int, float))
                    }
                ),
            },
        )
        update: dict[str, Any] = {"last_run_id": run_id}
        if verdict.status == "finished":
            update.update({"last_successful_run_id": run_id, "last_successful_crawl": stamp})
        db["sources"].update(source, update)
    return verdict
