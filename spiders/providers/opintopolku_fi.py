"""Finland: every published study offering in Opintopolku (konfo-backend external API).

Discovery: the published toteutus sitemap, or the external search when filters are given.
Details: ``/external/toteutus/{oid}`` plus its ``/external/koulutus/{oid}``, each koulutus
fetched once per run however many implementations share it.

    scrapy crawl opintopolku_fi -a base_url=http://127.0.0.1:8765
    scrapy crawl opintopolku_fi -a region=17,08 -a koulutustyyppi=amk -a keyword=akku
    scrapy crawl opintopolku_fi -a incremental=1
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

from spiders.base.json_api import JsonApiSpider, split_argument, truthy
from spiders.extract.common import local_to_iso
from spiders.extract.opintopolku import (
    ZONE,
    oids_from_search,
    oids_from_sitemap,
    toteutus_to_course,
)
from spiders.items import Seen

SITEMAP = "/konfo-backend/sitemap/toteutus-sitemap.xml"
SEARCH = "/konfo-backend/external/search/toteutukset-koulutuksittain"
TOTEUTUS = "/konfo-backend/external/toteutus/{oid}"
KOULUTUS = "/konfo-backend/external/koulutus/{oid}"
PAGE_SIZE = 200  # the API's maximum


def read_known_modified(path: str) -> dict[str, str]:
    """oid -> modified time (ISO) of the listings already stored, from the JSON file the runner
    writes for ``-a known_modified=PATH``."""
    try:
        known = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"opintopolku_fi: known_modified must be a JSON file of oid -> modified time; {path}: {exc}"
        ) from None
    if not isinstance(known, dict):
        raise ValueError(f"opintopolku_fi: known_modified {path} is not a JSON object")
    return {str(k): str(v) for k, v in known.items()}


class OpintopolkuFiSpider(JsonApiSpider):
    name = "opintopolku_fi"
    change_feed = True  # incremental=1: documents whose modified time is unchanged are not fetched again
    incremental_state = "known_modified"  # what the runner passes for incremental=1: a JSON file, oid -> modified
    country = "FI"
    default_base_url = "https://opintopolku.fi"
    source_title = "Opintopolku / Studyinfo (Finnish National Agency for Education)"
    source_url = "https://opintopolku.fi/konfo/en/"
    source_licence = "CC BY 4.0"
    source_licence_url = "https://creativecommons.org/licenses/by/4.0/"

    def __init__(
        self,
        *args: Any,
        keyword: str | None = None,
        region: str | None = None,
        koulutustyyppi: str | None = None,
        incremental: str | bool = False,
        known_modified: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.keyword = (keyword or "").strip() or None
        if self.keyword and len(self.keyword) < 3:
            raise ValueError("opintopolku_fi: keyword needs at least 3 characters (the API answers 400)")
        self.regions = [r if r.startswith("maakunta_") else f"maakunta_{r.zfill(2)}" for r in split_argument(region)]
        self.koulutustyypit = split_argument(koulutustyyppi)
        self.incremental = truthy(incremental)
        # A filtered crawl sees only part of the source: it must not mark the rest removed.
        self.is_partial = bool(self.keyword or self.regions or self.koulutustyypit)
        self.known_modified: dict[str, str] = read_known_modified(known_modified) if known_modified else {}
        self._koulutus_cache: dict[str, dict[str, Any] | None] = {}
        self._waiting: dict[str, list[tuple[dict[str, Any], str, str]]] = {}

    @property
    def api_headers(self) -> dict[str, str]:  # type: ignore[override]
        return {"Caller-Id": self.settings.get("CALLER_ID", "nordic-course-aggregator")}

    # --- discovery ---------------------------------------------------------------------------
    def discovery_requests(self) -> Iterator[Any]:
        if self.incremental:
            self.logger.info("Incremental run: %d listings known", len(self.known_modified))
        if self.is_partial:
            yield self.search_request(page=1)
        else:
            yield self.api_request(SITEMAP, self.parse_sitemap, headers={"Accept": "application/xml"})

    def search_request(self, page: int) -> Any:
        params = {
            "page": page,
            "size": PAGE_SIZE,
            "lng": "fi",
            "keyword": self.keyword,
            "sijainti": ",".join(self.regions) or None,
            "koulutustyyppi": ",".join(self.koulutustyypit) or None,
        }
        return self.api_request(SEARCH, self.parse_search, params=params, cb_kwargs={"page": page})

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        oids = oids_from_sitemap(response.text)
        self.crawler.stats.set_value("aggregator/discovered", len(oids))
        if not oids:
            self.count("errors/empty_sitemap")
            self.logger.error("No toteutus URLs in %s; nothing to crawl.", response.url)
        for oid in oids:
            yield self.toteutus_request(oid)

    def parse_search(self, response: Response, page: int) -> Iterator[Any]:
        payload = self.load_json(response)
        if payload is None:
            return
        pairs = oids_from_search(payload)
        self.crawler.stats.inc_value("aggregator/discovered", len(pairs))
        for oid, _ in pairs:
            yield self.toteutus_request(oid)
        total = payload.get("total") if isinstance(payload, dict) else None
        hits = len(payload.get("hits") or []) if isinstance(payload, dict) else 0
        if isinstance(total, int) and hits and page * PAGE_SIZE < total:
            if not self.beyond_page_cap(page + 1, f"the search ({total} results)"):
                yield self.search_request(page + 1)

    # --- details -----------------------------------------------------------------------------
    def toteutus_request(self, oid: str) -> Any:
        return self.api_request(
            TOTEUTUS.format(oid=oid), self.parse_toteutus, cb_kwargs={"oid": oid}, errback=self.toteutus_failed
        )

    def toteutus_failed(self, failure: Any) -> Iterator[Any]:
        self.on_request_error(failure)
        if failure.check(HttpError) and failure.value.response.status in (404, 410):
            return  # withdrawn: counted as not_found, and unseen like any listing the source no longer has
        yield from self.kept_after_error(failure.request.cb_kwargs["oid"], "request_failed")

    def parse_toteutus(self, response: Response, oid: str) -> Iterator[Any]:
        doc = self.load_json(response)
        if not isinstance(doc, dict):
            if doc is not None:
                self.count("errors/not_an_object")
                self.logger.error("%s is not a JSON object; the listing %s is kept as it was.", response.url, oid)
            yield from self.kept_after_error(oid, "unreadable_document")
            return
        own_oid = doc.get("oid")
        if isinstance(own_oid, str) and own_oid.strip() != oid:
            yield from self.answered_another_id(oid, own_oid, response.url)
            return
        modified = local_to_iso(doc.get("modified"), ZONE)
        if self.incremental and oid and modified and self.known_modified.get(oid) == modified:
            self.count("unchanged_skipped")
            yield Seen(source_id=oid)
            return
        koulutus_oid = doc.get("koulutusOid")
        if not koulutus_oid:
            yield from self.build(doc, response.url, None, oid)
            return
        if koulutus_oid in self._koulutus_cache:
            yield from self.build(doc, response.url, self._koulutus_cache[koulutus_oid], oid)
            return
        waiting = self._waiting.setdefault(koulutus_oid, [])
        waiting.append((doc, response.url, oid))
        if len(waiting) == 1:  # the first implementation of this koulutus asks for it
            yield self.api_request(
                KOULUTUS.format(oid=koulutus_oid),
                self.parse_koulutus,
                cb_kwargs={"koulutus_oid": koulutus_oid},
                errback=self.koulutus_failed,
            )

    def parse_koulutus(self, response: Response, koulutus_oid: str) -> Iterator[Any]:
        doc = self.load_json(response)
        yield from self.release(koulutus_oid, doc if isinstance(doc, dict) else None)

    def koulutus_failed(self, failure: Any) -> Iterator[Any]:
        self.on_request_error(failure)
        koulutus_oid = failure.request.cb_kwargs["koulutus_oid"]
        self.count("koulutus_missing")
        yield from self.release(koulutus_oid, None)

    def release(self, koulutus_oid: str, koulutus: dict[str, Any] | None) -> Iterator[Any]:
        self._koulutus_cache[koulutus_oid] = koulutus
        for doc, url, oid in self._waiting.pop(koulutus_oid, []):
            yield from self.build(doc, url, koulutus, oid)

    def build(self, doc: dict[str, Any], url: str, koulutus: dict[str, Any] | None, oid: str) -> Iterator[Any]:
        # an unusable document is an error of the oid it was requested by
        yield from self.extracted(lambda: toteutus_to_course(doc, koulutus, source_url=url), url, oid)
