"""The database file: where it is, opening it (migrated), the locks beside it, the folders next
to it, and the incremental state a runner reads from it before a spider starts."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils
from filelock import FileLock

from store.schema import migrate

DEFAULT_DB = "aggregator.db"
# The lock files beside a database are named after it with these endings (.gitignore covers them).
JOB_LOCK_SUFFIX = ".nightly.lock"
WRITE_LOCK_SUFFIX = ".write.lock"


def resolve_db_path(path: str | os.PathLike[str] | None = None) -> str:
    return str(path or os.environ.get("AGGREGATOR_DB") or DEFAULT_DB)


def open_db(path: str | os.PathLike[str] | None = None) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the database at ``path``. Indexes a bulk load left
    dropped are made again at a job's start (aggregator.nightly.open_job_db), not here."""
    path = resolve_db_path(path)
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 60000")
    db.enable_wal()
    migrate(db)
    return db


def job_lock(db_path: str | os.PathLike[str]) -> FileLock:
    """The lock a job (nightly, crawl) holds on a database for as long as it runs: two jobs never
    run at once on one database."""
    return FileLock(f"{db_path}{JOB_LOCK_SUFFIX}", timeout=0)


def write_lock(db_path: str | os.PathLike[str]) -> FileLock:
    """The lock the process that writes a crawl's listings holds for as long as it writes (the
    spider's process, not the job that started it): a second crawl cannot write beside one that
    outlived its job, and a job can tell that one is still writing."""
    return FileLock(f"{db_path}{WRITE_LOCK_SUFFIX}", timeout=0)


def beside_db(db_path: str | os.PathLike[str], name: str) -> Path:
    """A folder next to the database (exports/, logs/), wherever the job was started from."""
    return Path(db_path).resolve().parent / name


def _read_existing(path: str | None, sql: str, params: list[Any]) -> list[tuple]:
    """Rows of a query on the database at ``path``; none when it does not exist yet."""
    path = resolve_db_path(path)
    if not Path(path).exists():
        return []
    db = open_db(path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def last_successful_crawl(path: str | None, source: str) -> str | None:
    """The Swedish local date of the source's last clean crawl, a day early (the change feeds
    take local dates; a day's overlap costs a few re-read listings, a gap would lose some);
    None when there was none."""
    rows = _read_existing(path, "select last_successful_crawl from sources where name = ?", [source])
    if not rows or not rows[0][0]:
        return None
    from zoneinfo import ZoneInfo

    stamp = datetime.fromisoformat(rows[0][0].replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return (stamp.astimezone(ZoneInfo("Europe/Stockholm")).date() - timedelta(days=1)).isoformat()


def known_modified(path: str | None, source: str) -> dict[str, str]:
    """source_id -> source_modified_at of the source's current (not removed) listings."""
    return dict(
        _read_existing(
            path,
            "select source_id, source_modified_at from courses "
            "where source = ? and removed_at is null and source_modified_at is not null",
            [source],
        )
    )
