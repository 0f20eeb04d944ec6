"""Stores items in aggregator.db (sqlite-utils), in batches, one crawl_runs row per run.

The run is closed on Scrapy's ``spider_closed`` signal, which carries the finish reason: only a
run that finished cleanly may mark listings removed (see store.runs).

A listing with a value its field's declared type cannot store is logged and counted
(``aggregator/errors/unstorable_value``), its stored version kept. A batch that fails is logged,
counted (``aggregator/errors/store_batch``) and discarded, so one bad batch never blocks the ones
after it; the run is then flagged and removes nothing. A storage
error that would only repeat (disk full, read-only, corrupt or locked database) stops the crawl
at once with the reason ``storage_error``.
"""

from __future__ import annotations

import sqlite3
import time

from filelock import Timeout
from scrapy import signals
from scrapy.utils.defer import _schedule_coro

from pipelines.base import CrawlerPipeline
from spiders.items import Course, HeldBack, Kept, Seen
from spiders.settings import AGGREGATOR_DEFER_INDEXES_AFTER, AGGREGATOR_STORE_BATCH
from store.course_store import CourseStore
from store.files import open_db, write_lock
from store.runs import DEFAULT_MIN_SHARE, finish_run, register_source, start_run

# SQLite's primary result codes that no retry of the same batch can cure.
FATAL_STORAGE_ERRORS = {
    "SQLITE_FULL",
    "SQLITE_READONLY",
    "SQLITE_IOERR",
    "SQLITE_CORRUPT",
    "SQLITE_NOTADB",
    "SQLITE_CANTOPEN",
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_PERM",
}


# The line a spider logs when storage fails; the job reads the reason back from the log, since
# the spider may not have been able to write it into the database.
STORAGE_ERROR_LOG = (
    "Storage error on %s (%s): the crawl stops now, nothing is marked removed. Check the disk's free space "
    "and the database file's permissions, then run again."
)


def is_fatal_storage_error(exc: sqlite3.Error) -> bool:
    if isinstance(exc, (sqlite3.ProgrammingError, sqlite3.InterfaceError)):
        return False  # a value sqlite3 cannot bind is the program's mistake, not the disk's
    name = getattr(exc, "sqlite_errorname", "") or ""
    # extended codes carry a suffix: SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, ...
    return any(name == code or name.startswith(code + "_") for code in FATAL_STORAGE_ERRORS) or (
        not name and isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError)
    )


class StorePipeline(CrawlerPipeline):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.db_path = crawler.settings.get("AGGREGATOR_DB")
        self.batch_size = crawler.settings.getint("AGGREGATOR_STORE_BATCH", AGGREGATOR_STORE_BATCH)
        self.defer_indexes_after = crawler.settings.getint(
            "AGGREGATOR_DEFER_INDEXES_AFTER", AGGREGATOR_DEFER_INDEXES_AFTER
        )
        self.min_share = crawler.settings.getfloat("AGGREGATOR_MIN_SHARE", DEFAULT_MIN_SHARE)
        self.courses: list[Course] = []
        self.seen: list[str] = []
        self.kept: list[str] = []
        self.held_back: list[HeldBack] = []
        self.storage_error: str | None = None
        self.store: CourseStore | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def open_spider(self) -> None:
        spider = self.spider
        self.lock = write_lock(self.db_path)
        try:
            self.lock.acquire()
        except Timeout:
            raise RuntimeError(
                f"another crawl process is writing {self.db_path} (lock {self.lock.lock_file}); "
                "this one stops without writing. Wait for it to end, or stop it."
            ) from None
        self.db = open_db(self.db_path)
        register_source(
            self.db,
            {
                "name": spider.name,
                "country": getattr(spider, "country", None),
                "title": getattr(spider, "source_title", None),
                "url": getattr(spider, "source_url", None),
                "licence": getattr(spider, "source_licence", None),
                "licence_url": getattr(spider, "source_licence_url", None),
                "api_base_url": getattr(spider, "default_base_url", None),
                "kind": getattr(spider, "source_kind", "register"),
                "preferred_source": getattr(spider, "preferred_source", None),
            },
        )
        self.run_id = start_run(self.db, spider.name)
        self.store = CourseStore(
            self.db,
            spider.name,
            self.run_id,
            defer_indexes_after=self.defer_indexes_after,
            kind=getattr(spider, "source_kind", "register"),
            preferred_source=getattr(spider, "preferred_source", None),
            mask_history=self.masked_history,
        )
        self.crawler.stats.set_value("aggregator/run_id", self.run_id)
        spider.logger.info("Writing to %s (crawl run %s)", self.db_path, self.run_id)

    def masked_history(self, text: str) -> str:
        """A value course_changes records, masked (the old value of a listing stored before
        masking came in) and counted as the crawl's other texts are."""
        return self.masked(text, "course_changes")

    def process_item(self, item):
        if self.storage_error:
            self.count("not_stored")
            return item
        if isinstance(item, Course):
            self.courses.append(item)
        elif isinstance(item, Seen):
            self.seen.append(item.source_id)
        elif isinstance(item, Kept):
            self.kept.append(item.source_id)
            self.count(f"kept/{item.reason}")
        elif isinstance(item, HeldBack):
            self.held_back.append(item)
        if len(self.courses) + len(self.seen) + len(self.kept) + len(self.held_back) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if not (self.courses or self.seen or self.kept or self.held_back) or self.store is None:
            return
        batch = (self.courses, self.seen, self.kept)
        held_back = self.held_back
        self.courses, self.seen, self.kept, self.held_back = [], [], [], []  # a failed batch is never retried
        counts_before = dict(self.store.counts)
        deferred_before = bool(self.store.deferred_indexes)
        try:
            self.store.write(*batch)
            self.store.hold_back(held_back)
        except sqlite3.Error as exc:
            self.store.counts = counts_before  # the transaction was rolled back
            size = sum(map(len, batch)) + len(held_back)
            if is_fatal_storage_error(exc):
                self.stop_on_storage_error(exc, size)
            else:
                self.count("errors/store_batch")
                self.count("not_stored", size)
                self.spider.logger.error(
                    "A batch of %d items could not be stored (%s: %s); it is discarded and the run "
                    "goes on. The run is flagged and marks nothing removed.",
                    size,
                    type(exc).__name__,
                    exc,
                )
            return
        for problem in self.store.take_problems():  # a listing whose value its field cannot store
            self.count("errors/unstorable_value")
            self.spider.logger.error("Not stored, the stored listing (if any) kept as it was: %s", problem)
        if self.store.deferred_indexes and not deferred_before:  # this batch made it a bulk load
            self.spider.logger.info(
                "Bulk load: %d new listings so far; the indexes of courses are made again when the run ends",
                self.store.counts["new"],
            )

    def stop_on_storage_error(self, exc: sqlite3.Error, lost: int) -> None:
        self.storage_error = f"{getattr(exc, 'sqlite_errorname', None) or type(exc).__name__}: {exc}"
        self.count("errors/storage")
        self.count("not_stored", lost)
        self.crawler.stats.set_value("aggregator/storage_error", self.storage_error)
        self.spider.logger.critical(STORAGE_ERROR_LOG, self.db_path, self.storage_error)
        _schedule_coro(self.crawler.engine.close_spider_async(reason="storage_error"))

    def close_spider(self) -> None:
        self.flush()
        if self.storage_error or self.store is None:
            return
        started = time.monotonic()
        try:
            rebuilt = self.store.finish()
        except sqlite3.Error as exc:
            self.stop_on_storage_error(exc, 0)
            return
        if rebuilt:
            self.spider.logger.info(
                "Bulk load: made %d indexes of courses again in %.1f s", len(rebuilt), time.monotonic() - started
            )

    def spider_closed(self, spider, reason) -> None:
        if self.store is None:
            return
        if self.storage_error:
            reason = "storage_error"
        for key, value in self.store.counts.items():
            self.crawler.stats.set_value(f"aggregator/store/{key}", value)
        stats = self.crawler.stats.get_stats()
        try:
            verdict = finish_run(
                self.db,
                self.run_id,
                spider.name,
                finish_reason=reason,
                stats=stats,
                counts=self.store.counts,
                partial=bool(getattr(spider, "is_partial", False)),
                min_share=self.min_share,
                staged_removals=self.store.staged_removals,
                staged_holdbacks=self.store.staged_holdbacks,
            )
        except sqlite3.Error as exc:
            # the next job closes this run as failed; nothing was marked removed
            spider.logger.critical(
                "Crawl run %s could not be closed (%s: %s); nothing marked removed.",
                self.run_id,
                type(exc).__name__,
                exc,
            )
            self.crawler.stats.set_value("aggregator/run_status", "failed")
            self.db.close()
            self.lock.release()
            return
        self.crawler.stats.set_value("aggregator/run_status", verdict.status)
        log = spider.logger.info if verdict.status == "finished" else spider.logger.error
        log("Crawl run %s: %s %s %s", self.run_id, verdict.status, self.store.counts, verdict.note)
        self.db.close()
        self.lock.release()
