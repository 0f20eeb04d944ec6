"""SQLite settings for the connections Datasette opens on a published snapshot.

A search or a topic page visits its matching listings one by one in the 70-column table (on
a 1.1 GB file at 300,000 listings). Through SQLite's default 2 MB page cache every visit copies
its page in from the operating system; memory-mapped, the pages are read where the operating
system caches them, shared by every connection and worker process: a search matching 50,000
listings counted in 40 ms instead of 81, its first rows in 52 instead of 95 (bench/RESULTS.md).
Only for immutable databases: a snapshot nobody writes while it is served.
"""

from __future__ import annotations

# SQLite caps this at its compile-time maximum (2 GB by default); address space, not memory
MMAP_BYTES = 8 * 2**30


def memory_map_snapshot(conn, database, datasette):
    db = datasette.databases.get(database)
    if db is not None and not db.is_mutable and db.path:
        conn.execute(f"pragma mmap_size = {MMAP_BYTES}")
