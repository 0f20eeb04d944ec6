"""One offering, one listing: every rule for an offering that two sources list.

**Same ids.** A source may publish another's offerings under that source's ids (Planned
Educations publishes Susa-navet's adult-education events under their event ids). Its spider
names that source as its ``preferred_source`` (recorded in ``sources``): the preferred source's
listing is the listing in ``courses``, whichever is crawled first.

**A provider's site against a register.** A provider-site listing is the register's offering when

- the page cites the register's id of it (an Opintopolku OID, a Susa-navet event id:
  ``extras.register_ids``), or
- its normalised title equals the register listing's title (in any of its languages), it starts
  on the same day, and the provider is the same: the same name as the register writes it, or
  (the site and the register often name a provider differently, in another language) the same
  municipality.

The register's listing stays the listing in ``courses``: it carries the codes, level and
vocabulary the rest of the data shares. The site's listing is kept whole in
``course_duplicates`` with ``duplicate_of`` naming it, so both sources stay recorded (the row
page of the listing links the provider's page).

Either way the other source's row is kept whole in ``course_duplicates`` with ``duplicate_of``
naming the listing, out of ``courses`` (and its topic tags); it is the listing again when the
preferred listing is gone.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from store.schema import DUPLICATES_TABLE

_NOT_WORD = re.compile(r"[\W_]+")


def normalised_title(text: str | None) -> str:
    """Case, accents kept (å/ä/ö are letters here), punctuation and spacing folded:
    "Akkuteknologian perusteet (5 op)" and "akkuteknologian  perusteet, 5 op" are one title."""
    if not text:
        return ""
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFC", text).casefold()).strip()


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _marks(values: list) -> str:
    return ",".join("?" * len(values))


def register_sources(db: sqlite_utils.Database) -> list[str]:
    if "kind" not in db["sources"].columns_dict:
        return [r[0] for r in db.execute("select name from sources")]
    return [r[0] for r in db.execute("select name from sources where coalesce(kind, 'register') = 'register'")]


def site_sources(db: sqlite_utils.Database) -> list[str]:
    if "kind" not in db["sources"].columns_dict:
        return []
    return [r[0] for r in db.execute("select name from sources where kind = 'provider_site'")]


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _titles(row: dict[str, Any]) -> set[str]:
    titles = {normalised_title(row.get("title"))}
    variants = _decoded(row.get("title_i18n")) or {}
    if isinstance(variants, dict):
        titles.update(normalised_title(v) for v in variants.values() if isinstance(v, str))
    return {t for t in titles if t}


def _cited(row: dict[str, Any]) -> list[str]:
    extras = _decoded(row.get("extras")) or {}
    ids = extras.get("register_ids") if isinstance(extras, dict) else None
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []


def _same_provider(site: dict[str, Any], register: dict[str, Any]) -> bool:
    names = (site.get("provider_name") or "").strip(), (register.get("provider_name") or "").strip()
    if all(names) and names[0] == names[1]:
        return True
    return bool(site.get("municipality_code")) and site.get("municipality_code") == register.get("municipality_code")


_COLUMNS = "id, source, source_id, title, title_i18n, start_date, provider_name, municipality_code, country"


def register_matches(db: sqlite_utils.Database, site_rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Provider-site rows (``courses`` columns) -> the id of the current register listing of the
    same offering, for those that have one."""
    rows = [r for r in site_rows if r.get("id")]
    registers = register_sources(db)
    if not rows or not registers:
        return {}
    found: dict[str, str] = {}
    marks = ",".join("?" * len(registers))
    cited = {code: r["id"] for r in rows for code in _cited(r)}
    codes = list(cited)
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        for listing_id, source_id in db.execute(
            f"select id, source_id from courses where source in ({marks}) and removed_at is null "
            f"and source_id in ({','.join('?' * len(chunk))})",
            [*registers, *chunk],
        ):
            found.setdefault(cited[source_id], listing_id)
    pending = [r for r in rows if r["id"] not in found and r.get("start_date") and r.get("title")]
    starts = sorted({r["start_date"] for r in pending})
    for start in range(0, len(starts), 500):
        chunk = starts[start : start + 500]
        # only listings of the same provider or town can match (_same_provider): narrowed here,
        # so a day with thousands of register listings costs no Python work on each of them
        towns = sorted({r["municipality_code"] for r in pending if r.get("municipality_code")})
        names = sorted(
            {v for r in pending if r.get("provider_name") for v in (r["provider_name"], r["provider_name"].strip())}
        )
        candidates = list(
            db.query(
                f"select {_COLUMNS} from courses where source in ({marks}) and removed_at is null "
                f"and start_date in ({','.join('?' * len(chunk))}) "
                f"and (municipality_code in ({','.join('?' * len(towns))}) or provider_name in "
                f"({','.join('?' * len(names))}))",
                [*registers, *chunk, *towns, *names],
            )
        )
        by_title: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for candidate in candidates:
            for title in _titles(candidate):
                by_title.setdefault((candidate["start_date"], title), []).append(candidate)
        for row in pending:
            for title in sorted(_titles(row)):
                match = next(
                    (
                        c
                        for c in by_title.get((row["start_date"], title), [])
                        if row.get("country") in (None, c["country"]) and _same_provider(row, c)
                    ),
                    None,
                )
                if match is not None:
                    found.setdefault(row["id"], match["id"])
                    break
    return found


def site_listings_matching(db: sqlite_utils.Database) -> dict[str, str]:
    """Every current provider-site listing in ``courses`` that a register now lists -> the
    register listing's id (a register crawled after the site)."""
    sites = site_sources(db)
    if not sites:
        return {}
    rows = list(
        db.query(
            f"select {_COLUMNS}, extras from courses where source in ({','.join('?' * len(sites))}) "
            "and removed_at is null",
            sites,
        )
    )
    return register_matches(db, rows)


# --- same ids -------------------------------------------------------------------------------
def sources_preferring(db: sqlite_utils.Database, source: str) -> list[str]:
    """The sources whose spiders name ``source`` as their preferred source."""
    if "preferred_source" not in db["sources"].columns_dict:
        return []
    return [r[0] for r in db.execute("select name from sources where preferred_source = ?", [source])]


def listed_by_preferred(db: sqlite_utils.Database, preferred: str, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Rows (``courses`` columns) -> the id of the preferred source's current listing of the same
    source id, for those it lists."""
    listed: dict[str, str] = {}
    for chunk in _chunks([r["source_id"] for r in rows]):
        listed.update(
            db.execute(
                "select source_id, id from courses where source = ? and removed_at is null "
                f"and source_id in ({_marks(chunk)})",
                [preferred, *chunk],
            ).fetchall()
        )
    return {r["id"]: listed[r["source_id"]] for r in rows if r["source_id"] in listed}


# --- one run's rows ---------------------------------------------------------------------------
def split_duplicates(
    db: sqlite_utils.Database, rows: list[dict[str, Any]], kind: str, preferred_source: str | None
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """A source's rows apart from those whose offering another source's current listing already
    is (a provider site's: any register's, see the matching above; a source with a preferred
    source: that source's same id), the latter by id with ``duplicate_of`` set."""
    if not rows:
        return rows, {}
    if kind == "provider_site":
        matches = register_matches(db, rows)
    elif preferred_source:
        matches = listed_by_preferred(db, preferred_source, rows)
    else:
        return rows, {}
    duplicates = {r["id"]: {**r, "duplicate_of": matches[r["id"]]} for r in rows if r["id"] in matches}
    return [r for r in rows if r["id"] not in duplicates], duplicates


def release_duplicates(db: sqlite_utils.Database, ids: list[str]) -> None:
    """These listings are in courses again (their preferred listing is gone): no longer kept apart."""
    for chunk in _chunks(ids):
        db.execute(f"delete from [{DUPLICATES_TABLE}] where id in ({_marks(chunk)})", chunk)


def out_of_courses(db: sqlite_utils.Database, ids: list[str]) -> int:
    """Take listings out of courses with their topic tags (the full-text index follows by
    trigger); returns how many were there."""
    removed = 0
    for chunk in _chunks(ids):
        db.execute(f"delete from course_topics where course_id in ({_marks(chunk)})", chunk)
        removed += max(db.execute(f"delete from courses where id in ({_marks(chunk)})", chunk).rowcount, 0)
    return removed


def keep_duplicates(db: sqlite_utils.Database, duplicates: dict[str, dict[str, Any]], stamp: str, run_id: int) -> None:
    """A source's rows of offerings another source's listing is: kept whole in course_duplicates,
    out of courses (a row that was the listing until the preferred source listed it leaves
    courses now)."""
    if not duplicates:
        return
    ids = list(duplicates)
    known: dict[str, str] = {}
    for table in (DUPLICATES_TABLE, "courses"):
        for chunk in _chunks(ids):
            known.update(db.execute(f"select id, first_seen from [{table}] where id in ({_marks(chunk)})", chunk))
    for key, row in duplicates.items():
        row.update(first_seen=known.get(key) or stamp, last_seen=stamp, removed_at=None, last_run_id=run_id)
    db[DUPLICATES_TABLE].upsert_all(duplicates.values(), pk="id", alter=True)
    out_of_courses(db, ids)


def absorb(db: sqlite_utils.Database, rows: list[dict[str, Any]], duplicate_of: dict[str, str]) -> int:
    """Other sources' rows of courses (whole) that a listing describes: into course_duplicates
    with ``duplicate_of`` (id -> the listing), out of courses. Returns how many left courses."""
    if not rows:
        return 0
    for row in rows:
        row["duplicate_of"] = duplicate_of[row["id"]]
    db[DUPLICATES_TABLE].upsert_all(rows, pk="id", alter=True)
    return out_of_courses(db, [r["id"] for r in rows])


def absorb_same_ids(db: sqlite_utils.Database, source: str, listing_ids: dict[str, str]) -> int:
    """For a preferred source (``listing_ids``: its source ids -> its listings' ids): the listings
    of the sources preferring it with the same source ids leave courses for course_duplicates."""
    absorbed = 0
    for other in sources_preferring(db, source):
        for chunk in _chunks(list(listing_ids)):
            rows = list(
                db.query(f"select * from courses where source = ? and source_id in ({_marks(chunk)})", [other, *chunk])
            )
            absorbed += absorb(db, rows, {r["id"]: listing_ids[r["source_id"]] for r in rows})
    return absorbed


def absorb_site_listings(db: sqlite_utils.Database) -> int:
    """After a register's run: provider sites' listings of the offerings it lists leave courses
    for course_duplicates. Returns how many."""
    matches = site_listings_matching(db)
    if not matches:
        return 0
    with db.atomic():
        rows = []
        for chunk in _chunks(list(matches)):
            rows += db.query(f"select * from courses where id in ({_marks(chunk)})", chunk)
        return absorb(db, rows, matches)
