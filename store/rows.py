"""A listing as a row of ``courses``: stable ids, each value encoded as its field declares
(``store.listing``), and the content hash that tells a changed listing from an unchanged one."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from store.listing import BOOL, CONTENT_FIELDS, DERIVED, FACT, JSON, MARKER, Course, field_roles


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def course_id(source: str, source_id: str) -> str:
    """Stable id of a listing: the same (source, source_id) gives the same id in every run."""
    return hashlib.sha1(f"{source}\x1f{source_id}".encode()).hexdigest()[:16]


def provider_key(source: str, provider_id: str | None, name: str | None) -> str | None:
    if not provider_id and not name:
        return None
    return hashlib.sha1(f"{source}\x1f{provider_id or name}".encode()).hexdigest()[:16]


class UnstorableValue(ValueError):
    """A field's value that its declared type cannot store (a list in a text field, an object
    JSON cannot write): a problem of the one listing, not of the database."""

    def __init__(self, listing: Any, name: str, value: Any, declared: str) -> None:
        self.source_id = getattr(listing, "source_id", None)
        self.field = name
        shown = repr(value)
        super().__init__(
            f"listing {self.source_id!r}: field {name!r} holds a {type(value).__name__} ({shown[:80]}), "
            f"which a {declared} field cannot store; declare the field's type in store/listing.py to match"
        )


# Built once: json.dumps with options builds a new encoder on every call (a hot spot at one
# call per JSON field per listing).
_to_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
_to_hashed_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode
# what sqlite3 binds as it is (bool is an int)
_SCALARS = (str, int, float, bytes, type(None))


def _json(value: Any) -> Any:
    return _to_json(value) if value else None


def _bool(value: Any) -> Any:
    return None if value is None else int(bool(value))


def _scalar(value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value
    raise TypeError(type(value).__name__)


_ENCODERS: dict[str, Callable[[Any], Any]] = {JSON: _json, BOOL: _bool}


@functools.cache
def _encoders(listing: type) -> tuple[tuple[str, str, Callable[[Any], Any]], ...]:
    """(name, encoding, encoder) of every stored field of ``listing``, topics apart: a row holds
    the names of its topics (their evidence is in course_topics)."""
    return tuple(
        (r.name, r.encoding, _ENCODERS.get(r.encoding, _scalar))
        for r in field_roles(listing)
        if r.role != MARKER and r.name != "topics"
    )


def _encode_all(course: Course, names: Iterable[str] | None = None) -> dict[str, Any]:
    wanted = None if names is None else set(names)
    row = {}
    for name, encoding, encode in _encoders(type(course)):
        if wanted is not None and name not in wanted:
            continue
        value = getattr(course, name)
        try:
            row[name] = encode(value)
        except (TypeError, ValueError):
            raise UnstorableValue(course, name, value, encoding) from None
    return row


@functools.cache
def content_fields(listing: type = Course) -> tuple[str, ...]:
    """The source facts of ``listing``: what its content hash covers."""
    if listing is Course:
        return CONTENT_FIELDS
    return tuple(r.name for r in field_roles(listing) if r.role == FACT)


@functools.cache
def derived_fields(listing: type = Course) -> tuple[str, ...]:
    return tuple(r.name for r in field_roles(listing) if r.role == DERIVED)


def hash_content(encoded: dict[str, Any], names: Iterable[str] = CONTENT_FIELDS) -> str:
    """Hash of the encoded source facts ``names`` of a row. Empty facts are left out, so that a
    field added to Course (empty on every listing until a source fills it) changes no listing's
    hash: only listings that gain a value are "changed"."""
    content = {name: encoded[name] for name in names if encoded.get(name) is not None}
    return hashlib.sha1(_to_hashed_json(content).encode("utf-8")).hexdigest()


def content_hash(course: Course) -> str:
    """Hash of the listing's source facts (the content fields, encoded as stored)."""
    names = content_fields(type(course))
    return hash_content(_encode_all(course, names), names)


def course_row(course: Course) -> dict[str, Any]:
    """The ``courses`` columns of one listing (bookkeeping columns excluded). Raises
    UnstorableValue when a value does not fit its field's declared type."""
    # a shallow read of the fields: dataclasses.asdict deep-copies every value, a hot spot
    row = _encode_all(course)
    try:
        row["topics"] = _json(sorted(t["topic"] for t in course.topics))
    except (TypeError, KeyError):
        raise UnstorableValue(course, "topics", course.topics, "topics") from None
    row["content_hash"] = hash_content(row, content_fields(type(course)))  # already encoded here
    return row
