"""SQLite settings for every connection Datasette opens for the site (``prepare_connection``).

Bounded answers. The site runs any read-only SQL an anonymous visitor sends (``?sql=``), within
Datasette's time and row limits; neither bounds bytes: ``select zeroblob(500000000)`` took a
worker process down and ``select printf('%.*c', 100000000, 'x')`` answered 100 MB. So, through
documented SQLite and ``sqlite3`` interfaces only:

- ``SQLITE_LIMIT_LENGTH`` (``Connection.setlimit``): no string or blob over ``MAX_VALUE_BYTES``
  is made, read or sorted; SQLite refuses it at once ("string or blob too big");
- the row factory (``Connection.row_factory``, Datasette's ``sqlite3.Row`` kept) counts the text
  and blob bytes (characters of text) each statement returns and stops one past ``MAX_ANSWER_BYTES``: 1,000 rows of
  1 MB never reach Python's memory, let alone a page. Datasette fetches every page of a table
  (also each page of a streamed CSV) and every arbitrary query as its own statement, so the
  budget is per page, far above the largest real one;
- ``printf`` and ``format`` (``Connection.create_function`` overrides SQLite's own, which does the
  work): a width or precision over ``MAX_VALUE_BYTES`` is refused at once. SQLite 3.40's printf
  goes on padding, one character at a time and out of reach of the time limit, after it has
  given up the value: ``printf('%.*c', 2000000000, 'x')`` held a thread for 30 s to answer null;
- ``SQLITE_LIMIT_LIKE_PATTERN_LENGTH``: a LIKE or GLOB pattern of at most ``MAX_PATTERN_CHARS``,
  whose work on a megabyte value is also out of reach of the time limit;
- an authorizer (``Connection.set_authorizer``) refuses the SQL functions and tables that expose
  the server rather than the data: ``fts3_tokenizer`` (a process address, and with two arguments
  it registers a tokenizer at any address), extension loading and the file functions, the
  prepared statements of the connection (``sqlite_stmt``: other visitors' queries), and the
  database's file path (``pragma_database_list``'s ``file`` reads as null).

Memory-mapped snapshots. A search or a topic page visits its matching listings one by one in the
70-column table (on a 1.1 GB file at 300,000 listings). Through SQLite's default 2 MB page cache
every visit copies its page in from the operating system; memory-mapped, the pages are read where
the operating system caches them, shared by every connection and worker process: a search
matching 50,000 listings counted in 40 ms instead of 81, its first rows in 52 instead of 95
(bench/RESULTS.md). Only for immutable databases: a snapshot nobody writes while it is served.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import weakref

# SQLite caps this at its compile-time maximum (2 GB by default); address space, not memory
MMAP_BYTES = 8 * 2**30
# The longest text a source gives is a description of at most 50,000 characters (pipelines.clean),
# at most 200 kB in UTF-8; a listing's JSON columns are smaller.
MAX_VALUE_BYTES = 1_000_000
# Datasette's filters (``__contains``) and canned queries match short words
MAX_PATTERN_CHARS = 500
# A page of 1,000 listings with every column is about 2-5 MB of text.
MAX_ANSWER_BYTES = 20_000_000

# fts3_tokenizer: memory addresses; the rest read or write files, or load code
REFUSED_FUNCTIONS = frozenset({"fts3_tokenizer", "load_extension", "readfile", "writefile", "edit"})
REFUSED_TABLES = frozenset({"sqlite_stmt", "sqlite_dbpage", "fsdir", "zipfile"})
HIDDEN_COLUMNS = frozenset({("pragma_database_list", "file")})


class AnswerTooLarge(sqlite3.DatabaseError):
    """A statement returned more than MAX_ANSWER_BYTES of text and blobs."""


def prepare(conn: sqlite3.Connection, database: str, datasette) -> None:
    bound_answers(conn)
    memory_map_snapshot(conn, database, datasette)


def bound_answers(conn: sqlite3.Connection) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, MAX_PATTERN_CHARS)
    for name in ("printf", "format"):
        conn.create_function(name, -1, bounded_printf, deterministic=True)
    conn.set_authorizer(refuse_server_internals)
    conn.row_factory = budgeted_row_factory(conn.row_factory or sqlite3.Row)


def refuse_server_internals(action: int, first: str | None, second: str | None, database, trigger) -> int:
    if action == sqlite3.SQLITE_FUNCTION and (second or "").lower() in REFUSED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and first:
        table = first.lower()
        if table in REFUSED_TABLES:
            return sqlite3.SQLITE_DENY
        if (table, (second or "").lower()) in HIDDEN_COLUMNS:
            return sqlite3.SQLITE_IGNORE  # the column reads as null
    return sqlite3.SQLITE_OK


def budgeted_row_factory(make_row, limit: int = MAX_ANSWER_BYTES):
    """``make_row`` (Datasette's ``sqlite3.Row``) for every row, after counting the row's text
    and blob bytes against ``limit`` per statement (per cursor)."""
    spent: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def row_factory(cursor, row):
        total = spent.get(cursor, 0)
        for value in row:
            if value.__class__ is str or value.__class__ is bytes:
                total += len(value)
        if total > limit:
            spent.pop(cursor, None)
            raise AnswerTooLarge(
                f"answer too large: more than {limit // 1_000_000} MB of text; "
                "ask for fewer rows or columns, or download the full exports"
            )
        spent[cursor] = total
        return make_row(cursor, row)

    return row_factory


_DIGITS = re.compile(r"\d+")
_LEADING_NUMBER = re.compile(r"\s*[-+]?\d+")
_formatter = threading.local()


def _size(value) -> float:
    """The number SQLite may read ``value`` as, as a width or precision (0 when none)."""
    if isinstance(value, int | float):
        return abs(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            return abs(float(value))
        except ValueError:
            number = _LEADING_NUMBER.match(value)
            return abs(int(number.group())) if number else 0
    return 0


def asks_too_much(template, arguments) -> bool:
    """Whether a printf template may ask for a width or precision over MAX_VALUE_BYTES: a number
    over it in the template, or, when the template takes widths from the arguments (``*``), in
    any argument. Coarse on purpose: a template is not parsed the way SQLite parses it, so a
    misread conversion cannot let a huge width through."""
    if not isinstance(template, str | bytes) or "%" not in str(template):
        return False
    template = template.decode("utf-8", "replace") if isinstance(template, bytes) else template
    if any(int(digits) > MAX_VALUE_BYTES for digits in _DIGITS.findall(template)):
        return True
    return "*" in template and any(_size(argument) > MAX_VALUE_BYTES for argument in arguments)


def bounded_printf(*arguments):
    """SQLite's printf, refused when a width or precision may ask for more than MAX_VALUE_BYTES."""
    template, arguments = (arguments[0], arguments[1:]) if arguments else (None, ())
    if asks_too_much(template, arguments):
        # a value over SQLITE_LIMIT_LENGTH: SQLite refuses it in its own words, "string or blob
        # too big" (an exception raised here would read "user-defined function raised exception")
        return bytes(MAX_VALUE_BYTES + 1)
    # SQLite's own printf, on a connection of this thread that does not override it
    formatter = getattr(_formatter, "connection", None)
    if formatter is None:
        formatter = _formatter.connection = sqlite3.connect(":memory:")
        formatter.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    if template is None and not arguments:
        return None
    placeholders = ", ".join("?" * (1 + len(arguments)))
    return formatter.execute(f"select printf({placeholders})", (template, *arguments)).fetchone()[0]


def memory_map_snapshot(conn: sqlite3.Connection, database: str, datasette) -> None:
    db = datasette.databases.get(database)
    if db is not None and not db.is_mutable and db.path:
        conn.execute(f"pragma mmap_size = {MMAP_BYTES}")
