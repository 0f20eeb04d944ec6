"""The nightly job: crawl every source (each in its own process, with a time limit), fill in
English, export, and report per source. Two jobs never run at once on one database (a lock file
beside it). A source that fails, yields nothing, drops below the plausible share of its last
successful run or shows a jump in errors is reported and makes the job fail; a provider web
site in that state is reported, keeps its listings as they were, and the job goes on (a site's
redesign must not stop the registers' nightly data)."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from aggregator.crawl import (
    enabled_spider_names,
    has_change_feed,
    replay_base_url,
    run_spider,
    spider_facts,
    spider_names,
)
from aggregator.snapshot import snapshot
from pipelines.store import STORAGE_ERROR_LOG
from store.files import beside_db, open_db, write_lock
from store.indexes import restore_deferred_indexes
from store.rows import now_iso

DEFAULT_TIMEOUT = 4 * 3600


class JobLocked(RuntimeError):
    pass


@dataclass
class SourceResult:
    spider: str
    status: str
    seconds: float
    run_id: int | None = None
    items: int = 0
    new: int = 0
    changed: int = 0
    removed: int = 0
    errors: int = 0
    note: str = ""
    kind: str = "register"

    @property
    def ok(self) -> bool:
        return self.status == "finished"


@dataclass
class NightlyReport:
    sources: list[SourceResult] = field(default_factory=list)
    translated: int | None = None
    pending: int = 0
    exported: dict[str, int] | None = None
    export_dir: str | None = None
    seconds: float = 0.0
    models_installed: list = field(default_factory=list)
    model_advice: str | None = None

    @property
    def ok(self) -> bool:
        """Every register clean; provider sites are reported (``reported_sites``), not fatal."""
        return all(s.ok for s in self.sources if s.kind != "provider_site")

    def _not_clean(self, sites: bool) -> list[str]:
        return [
            f"{s.spider}: {s.status}{' — ' + s.note if s.note else ''}"
            for s in self.sources
            if not s.ok and (s.kind == "provider_site") == sites
        ]

    def problems(self) -> list[str]:
        """The registers that were not clean: they fail the job."""
        return self._not_clean(sites=False)

    def reported_sites(self) -> list[str]:
        """The provider sites that were not clean: reported, their listings kept."""
        return self._not_clean(sites=True)

    def table(self) -> str:
        headers = ["source", "items", "new", "changed", "removed", "errors", "duration", "status"]
        rows = [
            [
                s.spider,
                str(s.items),
                str(s.new),
                str(s.changed),
                str(s.removed),
                str(s.errors),
                f"{s.seconds:.0f}s",
                s.status,
            ]
            for s in self.sources
        ]
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

        def line(cells):
            return "  ".join(
                c.rjust(w) if 0 < i < 7 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=False))
            )

        return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def lock_for(db_path: str) -> FileLock:
    return FileLock(f"{db_path}.nightly.lock", timeout=0)


def acquire_job_lock(db_path: str) -> FileLock:
    """The job's lock, and the assurance that no crawl process is still writing (one that
    outlived a killed job holds the write lock until it has stopped)."""
    lock = lock_for(db_path)
    try:
        lock.acquire()
    except Timeout as exc:
        raise JobLocked(
            f"another nightly job or crawl is running on {db_path} (lock {lock.lock_file}); not starting a second one"
        ) from exc
    writer = write_lock(db_path)
    try:
        writer.acquire()
    except Timeout as exc:
        lock.release()
        raise JobLocked(
            f"a crawl process is still writing {db_path} (lock {writer.lock_file}), perhaps left by a killed job; "
            "wait for it to end or stop it, then start again"
        ) from exc
    writer.release()
    return lock


def close_stale_runs(
    db, note: str = "the crawl process ended without closing its run (killed or crashed); nothing marked removed"
) -> int:
    """Runs left "running" by a killed process: failed. Only called while holding the lock."""
    cursor = db.execute(
        "update crawl_runs set status = 'failed', finished_at = ?, note = ? where status = 'running'", [now_iso(), note]
    )
    db.conn.commit()
    return cursor.rowcount


def _storage_error_in(log_file: str | None) -> str | None:
    """The storage error a spider's log ends with (its process may not have been able to record
    it in the database: a full disk, a read-only file)."""
    if not log_file or not Path(log_file).exists():
        return None
    with open(log_file, "rb") as log:
        log.seek(max(0, Path(log_file).stat().st_size - 65536))
        tail = log.read().decode("utf-8", "replace")
    prefix, rest = STORAGE_ERROR_LOG.split(" %s (%s)", 1)
    found = re.findall(re.escape(prefix) + r" \S+ \((.+?)\)" + re.escape(rest[:20]), tail)
    return found[-1] if found else None


def open_job_db(db_path: str, echo: Callable[[str], None]):
    """The database at a job's start, under the job's lock: migrated, the runs an interrupted job
    left open closed as failed, and the indexes a bulk load that did not finish left dropped made
    again (once here, not in every opener)."""
    db = open_db(db_path)
    stale = close_stale_runs(db)
    if stale:
        echo(f"Closed {stale} crawl run(s) left open by an interrupted job.")
    rebuilt = restore_deferred_indexes(db)
    if rebuilt:
        echo(f"Made {len(rebuilt)} index(es) of courses again that an interrupted bulk load had dropped.")
    from aggregator.labels import write_value_labels

    with db.conn:
        write_value_labels(db.conn)  # the English labels the site's facets show
    return db


def run_result(
    db, spider: str, first_run_id: int, seconds: float, returncode: int, timed_out: bool, log_file: str | None = None
) -> SourceResult:
    """What one spider's run came to, from its crawl_runs row (closing it as failed when its
    process died before it could), its exit code and its log."""
    storage_error = _storage_error_in(log_file)
    try:
        rows = list(
            db.query(
                "select * from crawl_runs where source = ? and id > ? order by id desc limit 1", [spider, first_run_id]
            )
        )
        if not rows:
            return SourceResult(
                spider,
                "failed",
                seconds,
                note=f"the spider exited with code {returncode} before it started a run; see its log",
            )
        run = rows[0]
        if run["status"] == "running":
            if storage_error:
                reason = f"storage error ({storage_error}); nothing marked removed"
            elif timed_out:
                reason = "timed out and was killed; nothing marked removed"
            else:
                reason = f"the crawl process died (exit {returncode}); nothing marked removed"
            close_stale_runs(db, reason)
            run = db["crawl_runs"].get(run["id"])
    except sqlite3.Error as exc:
        reason = storage_error or f"{type(exc).__name__}: {exc}"
        return SourceResult(spider, "failed", seconds, note=f"storage error ({reason}); nothing marked removed")
    status = run["status"]
    note = run["note"] or ""
    if timed_out and status == "finished":
        status, note = "failed", "timed out"
    if returncode not in (0, None) and status == "finished":
        status, note = "failed", f"the crawl process exited with code {returncode}"
    return SourceResult(
        spider,
        status,
        seconds,
        run["id"],
        run["items"] or 0,
        run["new"] or 0,
        run["changed"] or 0,
        run["removed"] or 0,
        run["errors"] or 0,
        note,
    )


def run_nightly(
    db_path: str,
    only: list[str] | None = None,
    replay_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    export_dir: str | None = "exports",
    log_dir: str | None = None,
    echo: Callable[[str], None] = print,
    translate: bool = True,
    incremental: bool = False,
    snapshot_to: str | None = None,
    models: bool = True,
    model_progress: Callable[[str], Callable[[int, int], None]] | None = None,
) -> NightlyReport:
    lock = acquire_job_lock(db_path)
    started = time.monotonic()
    report = NightlyReport()
    try:
        db = open_job_db(db_path, echo)
        if models and translate:
            # before the crawl, so that the spiders translate as they go
            from translate.argos import ensure_models

            report.models_installed, report.model_advice = ensure_models(echo=echo, progress_for=model_progress)
            if report.model_advice:
                echo(report.model_advice)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        logs = Path(log_dir or beside_db(db_path, "logs")) / f"nightly-{stamp}"
        logs.mkdir(parents=True, exist_ok=True)
        facts = {name: spider_facts(name) for name in spider_names()}
        spiders = only or enabled_spider_names()
        waiting = [name for name, fact in facts.items() if fact["kind"] == "provider_site" and not fact["enabled"]]
        if waiting and not only:
            echo(
                f"Not crawled: {len(waiting)} provider site(s) not yet reviewed (enabled = False): {', '.join(waiting)}"
            )
        for position, spider in enumerate(spiders, 1):
            first = db.execute("select coalesce(max(id), 0) from crawl_runs").fetchone()[0]
            echo(f"[{position}/{len(spiders)}] {spider}: crawling (log: {logs / (spider + '.log')})")

            def tick(elapsed: float, spider=spider, first=first) -> None:
                row = db.execute(
                    "select count(*) from courses where last_run_id = (select max(id) from crawl_runs where source = ? and id > ?)",
                    [spider, first],
                ).fetchone()
                echo(f"    {spider}: {row[0]} listings stored, {elapsed / 60:.1f} min")

            # incremental: sources with a change feed fetch only what changed since their last
            # clean run; listings are then removed only by the source's deletion records
            arguments = ["incremental=1"] if incremental and has_change_feed(spider) else []
            result = run_spider(
                spider,
                db_path,
                replay_base_url(spider, replay_url) if replay_url else None,
                arguments,
                timeout=timeout,
                log_file=str(logs / f"{spider}.log"),
                on_tick=_every(30, tick),
            )
            source = run_result(
                db, spider, first, result.seconds, result.returncode, result.timed_out, str(logs / f"{spider}.log")
            )
            source.kind = str(facts[spider]["kind"])
            report.sources.append(source)
            echo(
                f"    {spider}: {source.status}, {source.items} listings ({source.new} new, {source.changed} changed, {source.removed} removed), {source.errors} errors, {source.seconds:.0f}s"
            )
        if translate:
            report.translated, report.pending = _backfill(db, echo)
        # fresh planner statistics: which index answers a filtered facet depends on them
        db.execute("analyze")
        from aggregator.labels import write_value_labels
        from aggregator.supply_counts import write_supply_counts

        with db.conn:
            write_value_labels(db.conn)  # again: the labels of the fields and occupations the crawl brought
            write_supply_counts(db.conn)  # what /supply shows (aggregator/web/supply.py), counted once per job
        if export_dir:
            from aggregator.export import export

            echo(f"Exporting every public table to {export_dir}/ (CSV, JSON Lines, Parquet)")
            report.exported = export(db_path, export_dir)
            report.export_dir = str(export_dir)
        db.close()
        if snapshot_to and report.ok:
            echo(f"Publishing a snapshot for `aggregator serve --immutable`: {snapshot(db_path, snapshot_to)}")
        elif snapshot_to:
            echo(f"Snapshot not published (a source's run was not clean); {snapshot_to} keeps the previous one.")
    finally:
        lock.release()
    report.seconds = time.monotonic() - started
    return report


def _every(seconds: float, callback: Callable[[float], None]) -> Callable[[float], None]:
    last = [0.0]

    def tick(elapsed: float) -> None:
        if elapsed - last[0] >= seconds:
            last[0] = elapsed
            callback(elapsed)

    return tick


def _pending(db) -> int:
    """Current listings with English still pending."""
    return db.execute(
        "select count(*) from courses where removed_at is null and (title_en_method = 'pending' or description_en_method = 'pending')"
    ).fetchone()[0]


def _backfill(db, echo: Callable[[str], None]) -> tuple[int | None, int]:
    pending = _pending(db)
    from translate.argos import installed_models

    if not installed_models():
        if pending:
            echo(
                f"Translation: no model installed; {pending} listings keep pending English (`aggregator models install`)."
            )
        return None, pending
    from translate.argos import ArgosTranslator
    from translate.backfill import backfill
    from translate.cache import TranslationCache
    from translate.english import EnglishService

    service = EnglishService(ArgosTranslator(), TranslationCache(db))
    counts = backfill(db, service)
    echo(f"Translation backfill: {counts['translated']} fields translated ({service.translator.calls} model calls).")
    return counts["translated"], _pending(db)
