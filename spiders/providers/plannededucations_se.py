"""Sweden: adult-education events in Skolverket's Planned Educations API (YH, HS, komvux).

A Swedish-only second view beside Susa-navet, with server-side municipality filters. The list
gives most facts; the detail adds the description, language of instruction and the provider's
page, and is fetched when a municipality filter keeps the run small (``details=auto``).

    scrapy crawl plannededucations_se -a municipalities=2482,2480,2580
    scrapy crawl plannededucations_se -a api_version=v3 -a details=0
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from spiders.base.json_api import split_argument, truthy
from spiders.base.skolverket import SkolverketApiSpider
from spiders.extract.skolverket import planned_event_to_course

MEDIA_TYPES = {
    "v3": "application/vnd.skolverket.plannededucations.api.v3.hal+json",
    "v4": "application/vnd.skolverket.plannededucations.api.v4.hal+json",
}


class PlannededucationsSeSpider(SkolverketApiSpider):
    name = "plannededucations_se"
    default_base_url = "https://api.skolverket.se/planned-educations"
    page_size = 100
    source_title = "Skolverket Planned Educations: adult-education events"
    source_url = "https://www.skolverket.se/om-oss/var-verksamhet/skolverkets-e-tjanster/apier-och-oppna-data"
    source_licence = "CC0 1.0"
    source_licence_url = "https://creativecommons.org/publicdomain/zero/1.0/"
    # it publishes Susa-navet's adult-education events under their event ids: Susa-navet's
    # listing of an event is the listing, this one is kept beside it (store.offerings)
    preferred_source = "susanavet_se"

    def __init__(
        self,
        *args: Any,
        api_version: str = "v4",
        type_of_school: str | None = None,
        details: str = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if api_version not in MEDIA_TYPES:
            raise ValueError(f"plannededucations_se: api_version is v3 or v4, got {api_version!r}")
        self.api_version = api_version
        self.types_of_school = split_argument(type_of_school)
        self.fetch_details = bool(self.municipalities) if details == "auto" else truthy(details)
        self.is_partial = bool(self.municipalities or self.types_of_school)

    @property
    def api_headers(self) -> dict[str, str]:  # type: ignore[override]
        return {"Accept": MEDIA_TYPES[self.api_version]}

    @property
    def list_path(self) -> str:
        return f"/{self.api_version}/adult-education-events"

    def discovery_requests(self) -> Iterator[Any]:
        for params in self.listings():
            yield self.page_request(self.list_path, self.parse_list, 0, params, cb_kwargs={"params": params})

    def listings(self) -> list[dict[str, Any]]:
        """One listing per municipality (the API filters one code at a time), or one for all."""
        base = {"typeOfSchool": self.types_of_school or None}
        if not self.municipalities:
            return [base]
        return [{**base, "geographicalAreaCode": code} for code in sorted(self.municipalities)]

    @staticmethod
    def body(payload: Any) -> dict[str, Any]:
        """v3 wraps the HAL body in {status, message, body}; accept it bare as well."""
        if isinstance(payload, dict) and isinstance(payload.get("body"), dict):
            return payload["body"]
        return payload if isinstance(payload, dict) else {}

    def parse_list(self, response: Response, page: int, params: dict[str, Any]) -> Iterator[Any]:
        body = self.body(self.load_json(response))
        if not body:
            return
        yield from self.further_pages(body, page, self.list_path, self.parse_list, params, cb_kwargs={"params": params})
        for event in (body.get("_embedded") or {}).get("listedAdultEducationEvents") or []:
            if not isinstance(event, dict):
                self.count("errors/unusable_document")
                continue
            if not self.wanted_place(event.get("geographicalAreaCode")):
                continue
            event_id = event.get("educationEventId")
            if self.fetch_details and isinstance(event_id, str):
                yield self.api_request(
                    f"{self.list_path}/{event_id}",
                    self.parse_detail,
                    cb_kwargs={"event": event},
                    errback=self.detail_failed,
                )
            else:
                yield from self.build(event, None)

    def parse_detail(self, response: Response, event: dict[str, Any]) -> Iterator[Any]:
        yield from self.build(event, self.body(self.load_json(response)))

    def detail_failed(self, failure: Any) -> Iterator[Any]:
        self.on_request_error(failure)
        yield from self.build(failure.request.cb_kwargs["event"], None)  # list facts still stand

    def build(self, event: dict[str, Any], detail: dict[str, Any] | None) -> Iterator[Any]:
        yield from self.extracted(
            lambda: planned_event_to_course(event, detail, f"{self.base_url}/{self.api_version}"),
            "an event",
            event.get("educationEventId"),
        )
