"""Sweden: every registered education event in Skolverket's Susa-navet (EMIL 3 API).

Events are joined with their education info (credits, level, type; title and description when
the event has none) and their providers. Infos and providers are read once per run from their
paged listings, before the events, so no record is fetched once per event.

    scrapy crawl susanavet_se -a school_types=HS,YH -a municipalities=2482,2580,2480
    scrapy crawl susanavet_se -a updated_since=2026-11-01     # or -a incremental=1
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from spiders.base.json_api import split_argument, truthy
from spiders.base.skolverket import SkolverketApiSpider
from spiders.extract.skolverket import susanavet_event_to_course

PROVIDERS, INFOS, EVENTS = "/educationProviders", "/educationInfos", "/educationEvents"
# Info fields the join uses; the rest (eligibility texts, contacts) is not kept in memory.
INFO_FIELDS = (
    "identifier",
    "code",
    "title",
    "description",
    "url",
    "type",
    "configuration",
    "educationLevels",
    "qualificationLevel",
    "credits",
    "subjects",
    "degrees",
)


class InfoStore:
    """Education infos on disk (a national run holds tens of thousands), keyed by lower-case id."""

    def __init__(self) -> None:
        self._file = tempfile.NamedTemporaryFile(prefix="susanavet-infos-", suffix=".sqlite")
        self._db = sqlite3.connect(self._file.name)
        self._db.execute("create table infos (id text primary key, content text)")

    def add(self, wrappers: list[Any]) -> int:
        rows = []
        for wrapper in wrappers:
            content = (wrapper or {}).get("content") if isinstance(wrapper, dict) else None
            if isinstance(wrapper, dict) and isinstance(wrapper.get("id"), str) and isinstance(content, dict):
                compact = {k: content[k] for k in INFO_FIELDS if k in content}
                rows.append((wrapper["id"].lower(), json.dumps(compact, ensure_ascii=False)))
        self._db.executemany("insert or replace into infos values (?, ?)", rows)
        return len(rows)

    def get(self, info_id: Any) -> dict[str, Any] | None:
        if not isinstance(info_id, str):
            return None
        row = self._db.execute("select content from infos where id = ?", (info_id.lower(),)).fetchone()
        return json.loads(row[0]) if row else None

    def close(self) -> None:
        self._db.close()
        self._file.close()


class SusanavetSeSpider(SkolverketApiSpider):
    name = "susanavet_se"
    change_feed = (
        True  # incremental=1: Susa-navet answers updatedSince with the events edited since, deleted ones included
    )
    incremental_state = "updated_since"  # what the runner passes for incremental=1: the last clean run's date
    default_base_url = "https://api.skolverket.se/susa-navet/emil3"
    page_size = 2000  # the API's maximum
    source_title = "Skolverket Susa-navet (EMIL 3): Swedish register of education events"
    source_url = "https://www.skolverket.se/om-oss/var-verksamhet/skolverkets-e-tjanster/apier-och-oppna-data"
    source_licence = "CC0 1.0"
    source_licence_url = "https://creativecommons.org/publicdomain/zero/1.0/"

    def __init__(
        self,
        *args: Any,
        school_types: str | None = None,
        updated_since: str | None = None,
        incremental: str | bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.school_types = [s.upper() for s in split_argument(school_types)]
        self.updated_since = (updated_since or "").strip() or None
        self.incremental = truthy(incremental)
        # Only an unfiltered, non-incremental run sees every listing and may mark the rest removed.
        self.is_partial = bool(self.school_types or self.municipalities or self.updated_since or self.incremental)
        self.providers: dict[str, dict[str, Any]] = {}
        self.infos = InfoStore()
        self._pending = {INFOS: 0, PROVIDERS: 0}

    def closed(self, reason: str) -> None:
        self.infos.close()

    def discovery_requests(self) -> Iterator[Any]:
        if self.incremental:
            # the runner (aggregator crawl / nightly) passes the date of the last clean run
            self.logger.info(
                "Incremental run: events updated since %s", self.updated_since or "ever (no updated_since given)"
            )
        self._pending[PROVIDERS] = 1
        yield self.page_request(
            PROVIDERS, self.parse_providers, 0, errback=self.phase_page_failed, cb_kwargs={"phase": PROVIDERS}
        )

    def filters(self, with_updated: bool) -> dict[str, Any]:
        params: dict[str, Any] = {"schoolType": self.school_types or None}
        if with_updated and self.updated_since:
            params["updatedSince"] = self.updated_since
        return params

    # --- phases: providers, then infos, then events ------------------------------------------
    def parse_providers(self, response: Response, page: int, phase: str) -> Iterator[Any]:
        payload = self.load_json(response)
        for wrapper in (payload or {}).get("educationProviders") or [] if isinstance(payload, dict) else []:
            content = (wrapper or {}).get("content")
            if isinstance(wrapper, dict) and isinstance(wrapper.get("id"), str) and isinstance(content, dict):
                # name and url only: contact e-mail addresses may name a person and are not kept
                self.providers[wrapper["id"].lower()] = {"name": content.get("name"), "url": content.get("url")}
        yield from self.after_page(payload, page, phase)

    def parse_infos(self, response: Response, page: int, phase: str) -> Iterator[Any]:
        payload = self.load_json(response)
        if isinstance(payload, dict):
            self.count("infos_read", self.infos.add(payload.get("educationInfos") or []))
        yield from self.after_page(payload, page, phase)

    def phase_page_failed(self, failure: Any) -> Iterator[Any]:
        self.on_request_error(failure)
        kwargs = failure.request.cb_kwargs
        yield from self.after_page(None, kwargs["page"], kwargs["phase"])

    def after_page(self, payload: Any, page: int, phase: str) -> Iterator[Any]:
        callback = self.parse_providers if phase == PROVIDERS else self.parse_infos
        params = {} if phase == PROVIDERS else self.filters(with_updated=False)
        more = list(
            self.further_pages(
                payload, page, phase, callback, params, errback=self.phase_page_failed, cb_kwargs={"phase": phase}
            )
        )
        self._pending[phase] += len(more) - 1
        yield from more
        if self._pending[phase] == 0:
            if phase == PROVIDERS:
                self.logger.info("Read %d providers", len(self.providers))
                self._pending[INFOS] = 1
                yield self.page_request(
                    INFOS,
                    self.parse_infos,
                    0,
                    self.filters(False),
                    errback=self.phase_page_failed,
                    cb_kwargs={"phase": INFOS},
                )
            else:
                self.logger.info("Read education infos; reading events")
                yield self.page_request(
                    EVENTS, self.parse_events, 0, self.filters(True), errback=self.events_page_failed
                )

    def events_page_failed(self, failure: Any) -> Iterator[Any]:
        self.on_request_error(failure)
        yield from self.further_pages(
            None,
            failure.request.cb_kwargs["page"],
            EVENTS,
            self.parse_events,
            self.filters(True),
            errback=self.events_page_failed,
        )

    def parse_events(self, response: Response, page: int) -> Iterator[Any]:
        payload = self.load_json(response)
        yield from self.further_pages(
            payload, page, EVENTS, self.parse_events, self.filters(True), errback=self.events_page_failed
        )
        if not isinstance(payload, dict):
            return
        for wrapper in payload.get("educationEvents") or []:
            content = (wrapper or {}).get("content") if isinstance(wrapper, dict) else None
            if isinstance(content, dict):
                locations = content.get("locations") if isinstance(content.get("locations"), list) else []
                codes = [l.get("areaCode") for l in locations if isinstance(l, dict)]
                if self.municipalities and not any(self.wanted_place(c) for c in codes or [None]):
                    continue
                info = self.infos.get(content.get("education"))
                if info is None:
                    self.count("info_missing")
            else:
                info = None
            yield from self.extracted(
                # called at once, so the loop's current wrapper and info are the ones it sees
                lambda: susanavet_event_to_course(wrapper, info, self.providers, self.base_url),  # noqa: B023
                f"an event on {response.url}",
                wrapper.get("id") if isinstance(wrapper, dict) else None,
            )
