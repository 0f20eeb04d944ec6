"""Crawl-run bookkeeping and the rules that decide, from the run's evidence, what changes state.

- A source's own deletion or archival record of a listing applies whatever happened to other
  documents in the run (unless storage failed): it is the source's word on that listing.
- Unseen listings are marked removed only when the crawl finished (Scrapy's finish reason
  "finished"), covered the whole source (no filters), saw a plausible number of listings (at
  least ``min_share`` of the last successful run), read every page of its listings as the
  source states them, and its only failures were documents whose ids are known (counted in
  ``known_id_errors``; those listings are kept as they are). A run with such failures is
  flagged all the same.
- A stored listing turned into a test or placeholder entry leaves what is published only when
  the run is judged clean (finished); its row is kept, with ``removed_at`` set and the reason in
  ``held_back_listings``.
Nothing is ever deleted.
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


def describe(kinds: dict[str, int]) -> str:
    """{"http_500": 2, "paging_disagreement": 1} -> "http_500 2, paging_disagreement 1"."""
    return ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))


def judge(
    *,
    finish_reason: str,
    items: int,
    errors: int,
    partial: bool,
    previous: dict[str, Any] | None,
    min_share: float = DEFAULT_MIN_SHARE,
    known_id_errors: int = 0,
    error_kinds: dict[str, int] | None = None,
    stop_reason: str | None = None,
) -> RunVerdict:
    kinds = describe(error_kinds or {})
    which = f" ({kinds})" if kinds else ""
    if finish_reason != "finished":
        why = f": {stop_reason}" if stop_reason else ""
        return RunVerdict("failed", f"crawl ended early ({finish_reason}{why}); nothing marked removed", False)
    if items == 0 and not partial:
        why = which or " (no error counted: the source listed nothing)"
        return RunVerdict("failed", f"zero listings seen{why}; nothing marked removed", False)
    if previous and previous.get("items") and not partial:
        floor = previous["items"] * min_share
        if items < floor:
            return RunVerdict(
                "flagged",
                f"{items} listings is below {min_share:.0%} of the last successful run "
                f"({previous['items']}){which}; nothing marked removed",
                False,
            )
    if errors > known_id_errors:
        if previous is not None and errors > max(10, 2 * (previous.get("errors") or 0)):
            return RunVerdict(
                "flagged",
                f"{errors} errors{which} (last successful run: {previous.get('errors') or 0}); nothing marked removed",
                False,
            )
        return RunVerdict("flagged", f"{errors} request/parse errors{which}; nothing marked removed", False)
    if errors:
        kept = f"{errors} document(s) could not be used{which}, each of a known listing, kept as it was"
        if partial:
            return RunVerdict("flagged", f"{kept}; partial crawl: unseen listings kept", False)
        return RunVerdict("flagged", f"{kept}; every page read, so unseen listings are marked removed", True)
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
    staged_holdbacks: dict[str, str] | None = None,
) -> RunVerdict:
    """Close the run: judge it, apply the source's deletion records (whatever the verdict),
    and only when the judgement allows it the removal of unseen listings and the holding back
    of listings turned into test entries."""
    staged = list(staged_removals)
    holdbacks = list(staged_holdbacks or {})
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
        known_id_errors=int(stats.get("aggregator/known_id_errors", 0)),
        error_kinds=errors_by_kind,
        stop_reason=stats.get("aggregator/stop_reason"),
    )
    storage_failed = bool(stats.get("aggregator/storage_error"))
    if storage_failed:
        verdict = RunVerdict(
            "failed", f"storage error ({stats['aggregator/storage_error']}); nothing marked removed", False
        )
    stamp = now_iso()
    removed = held_back = 0
    with db.atomic():
        if not storage_failed:
            removed += update_current(db, staged, run_id, removed_at=stamp)
        if verdict.status == "finished":
            held_back = update_current(db, holdbacks, run_id, removed_at=stamp)
        if verdict.mark_removed:
            cursor = db.execute(
                "update courses set removed_at = ? where source = ? and removed_at is null "
                "and (last_run_id is null or last_run_id != ?)",
                [stamp, source, run_id],
            )
            if verdict.status != "finished":
                verdict.note += f" ({cursor.rowcount} marked removed)"
            removed += cursor.rowcount
        notes = [verdict.note] if verdict.note else []
        if staged and verdict.status != "finished" and not storage_failed:
            notes = [n.replace("nothing marked removed", "unseen listings kept") for n in notes]
            notes.append(f"{len(staged)} deletion record(s) of the source applied all the same")
        elif staged and storage_failed:
            notes.append(f"{len(staged)} deletion record(s) of the source not applied")
        if held_back:
            notes.append(f"{held_back} listing(s) turned into test or placeholder entries held back (rows kept)")
        elif holdbacks:
            notes.append(
                f"{len(holdbacks)} listing(s) turned into test or placeholder entries not held back "
                "until a clean run: still listed as they were"
            )
        verdict.note = "; ".join(notes)
        counters = {
            k.split("/", 1)[1]: v
            for k, v in sorted(stats.items())
            if k.startswith("aggregator/") and isinstance(v, (int, float))
        }
        counters["store/held_back_removed"] = held_back
        counters["store/held_back_pending"] = len(holdbacks) - held_back
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
                "counters": json.dumps(counters),
            },
        )
        update: dict[str, Any] = {"last_run_id": run_id}
        if verdict.status == "finished":
            update.update({"last_successful_run_id": run_id, "last_successful_crawl": stamp})
        db["sources"].update(source, update)
    return verdict
