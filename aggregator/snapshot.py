"""Publishing a database: a snapshot for `aggregator serve --immutable` (or stock
`datasette serve -i`)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def snapshot(db_path: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Copy the database to ``target`` for publishing, atomically: a server reading the old
    snapshot keeps reading it (its open file) until it is restarted on the new one. The copy is
    a consistent point in time (SQLite's online backup) in rollback-journal mode, so it can be
    opened immutable and read-only."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.staging")
    # what a snapshot killed midway left: its staging copy and that copy's rollback journal
    staging.unlink(missing_ok=True)
    staging.with_name(staging.name + "-journal").unlink(missing_ok=True)
    source = sqlite3.connect(str(db_path))
    copy = sqlite3.connect(str(staging))
    try:
        source.backup(copy)
        copy.execute("pragma journal_mode = delete")
    finally:
        copy.close()
        source.close()
    os.replace(staging, target)
    return target
