"""One job's per-spider loop, shared by `aggregator nightly` and `aggregator crawl`: the job's lock
on the database, the database opened once (migrated, the runs an interrupted job left open
closed, dropped indexes made again), each spider crawled in its own process with Scrapy's log in
a file, its run judged from its crawl_runs row, and one summary line per spider."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from aggregator.crawl import has_change_feed, replay_base_url, run_spider, spider_facts
from pipelines.store import STORAGE_ERROR_LOG
from store.files import beside_db, job_lock, open_db, write_lock
from store.indexes import restore_deferred_indexes
from store.rows import now_iso

# How often a crawl that is still running says how far it is.
PROGRESS_EVERY = 30.0


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


def summary_line(source: SourceResult) -> str:
    """The line a job writes when a spider's run is over."""
    return (
        f"    {source.spider}: {source.status}, {source.items} listings ({source.new} new, {source.changed} changed, "
        f"{source.removed} removed), {source.errors} errors, {source.seconds:.0f}s"
        + (f" — {source.note}" if source.note else "")
    )


def acquire_job_lock(db_path: str) -> FileLock:
    """The job's lock, and the assurance that no crawl process is still writing (one that
    outlived a killed job holds the write lock until it has stopped)."""
    lock = job_lock(db_path)
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


def log_folder(db_path: str, log_dir: str | None, job: str) -> Path:
    """This job's folder of spider logs: ``<log_dir or logs/ beside the database>/<job>-<time>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = Path(log_dir or beside_db(db_path, "logs")) / f"{job}-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def crawl_spiders(
    db,
    db_path: str,
    spiders: list[str],
    logs: Path,
    echo: Callable[[str], None],
    *,
    replay_url: str | None = None,
    base_url: str | None = None,
    arguments: Iterable[str] = (),
    settings: Iterable[str] = (),
    timeout: float | None = None,
    incremental: bool = False,
) -> list[SourceResult]:
    """Crawl each spider in turn, in its own process, into the database the job holds open and
    locked: progress every PROGRESS_EVERY seconds and one summary line each through ``echo``,
    Scrapy's log in ``logs/<spider>.log``. Returns each spider's judged result."""
    results = []
    for position, spider in enumerate(spiders, 1):
        first = db.execute("select coalesce(max(id), 0) from crawl_runs").fetchone()[0]
        log_file = logs / f"{spider}.log"
        echo(f"[{position}/{len(spiders)}] {spider}: crawling (log: {log_file})")

        def tick(elapsed: float, spider=spider, first=first) -> None:
            row = db.execute(
                "select count(*) from courses where last_run_id = "
                "(select max(id) from crawl_runs where source = ? and id > ?)",
                [spider, first],
            ).fetchone()
            echo(f"    {spider}: {row[0]} listings stored, {elapsed / 60:.1f} min")

        # incremental: sources with a change feed fetch only what changed since their last
        # clean run; listings are then removed only by the source's deletion records
        extra = ["incremental=1"] if incremental and has_change_feed(spider) else []
        result = run_spider(
            spider,
            db_path,
            replay_base_url(spider, replay_url) if replay_url else base_url,
            [*arguments, *extra],
            settings,
            timeout=timeout,
            log_file=str(log_file),
            on_tick=_every(PROGRESS_EVERY, tick),
        )
        # the run's verdict, not only the process's exit code: a flagged run exits 0 too
        source = run_result(db, spider, first, result.seconds, result.returncode, result.timed_out, str(log_file))
        source.kind = str(spider_facts(spider)["kind"])
        echo(summary_line(source))
        results.append(source)
    return results


def _every(seconds: float, callback: Callable[[float], None]) -> Callable[[float], None]:
    last = [0.0]

    def tick(elapsed: float) -> None:
        if elapsed - last[0] >= seconds:
            last[0] = elapsed
            callback(elapsed)

    return tick
