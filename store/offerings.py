"""One offering, one listing: a course a provider's web site lists that its national register
lists too.

A provider-site listing is the register's offering when

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
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import sqlite_utils

_NOT_WORD = re.compile(r"[\W_]+")


def normalised_title(text: str | None) -> str:
    """Case, accents kept (å/ä/ö are letters here), punctuation and spacing folded:
    "Akkuteknologian perusteet (5 op)" and "akkuteknologian  perusteet, 5 op" are one title."""
    if not text:
        return ""
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFC", text).casefold()).strip()


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
                f"and (municipality_code in ({','.join('?' * len(towns))}) or provider_name in ({','.join('?' * len(names))}))",
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
