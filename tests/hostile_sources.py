"""A local server that imitates the three sources, well or badly, for the hostile-source tests.

Written, not recorded: the documents follow the shapes of the real samples (Opintopolku
toteutus/koulutus with a sitemap, Susa-navet EMIL 3 pages of wrappers, Planned Educations HAL
pages) with a handful of listings per source. ``mode`` switches how the server misbehaves:

    good              every source as it should be
    status_case       statuses in another case (JULKAISTU, active): still published
    status_unknown    statuses outside the vocabulary (PUBLISHED)
    type_drift        objects turned into numbers, strings into objects
    nulls             the content of every record null, statuses kept
    duplicate_ids     every Susa-navet event twice in its page, the second with another title
    endless_pages     page counts of a billion, and every page full (search: a billion hits)
    huge_document     one 20 MB description
    long_tokens       a 1 MB token without spaces in every description
    invalid_utf8      one document that is not valid UTF-8
    retry_after       every document answered once with 429 and Retry-After: 2
    offsite_redirect  one document redirected to another host (127.0.0.2)
    slow              one document answered after 5 s
    deleted_one       one Susa-navet event deleted (status DELETED, content null)
    big_texts         every description 100 KB of fresh text (to fill a small disk)
    total_lower       Susa-navet and Planned Educations state a totalElements of one page while
                      totalPages (and the rows) are all of them
    duplicate_rows    page 0 of the events holds its rows and, again, the rows of the page after it
    other_id          every sixth Opintopolku implementation answers with its neighbour's document
    test_entries      12 Susa-navet events turned into test entries ("(testi) ...")
    test_entries_half_page   the same, and one page of events served half
    archived_two_unreadable  Opintopolku: two documents unreadable, a third archived (tila arkistoitu)
    rate_limited      one Opintopolku document in three answers 429 (Retry-After 30) or 503
                      (Retry-After 120), every time
    not_objects       Susa-navet and Planned Educations pages that are JSON, but not objects

The set's size is the server's: ``HostileSources(events=3000, implementations=400, page_size=2000)``
builds the national-scale probe; the tests keep 12 of each at 5 a page (several pages each).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aggregator.replay import LoopbackServer

LISTINGS = 12
KOULUTUS_OID = "1.2.246.562.13.00000000000000000001"
PAGE_SIZE = 5  # the server's page size: several pages per listing
TEST_ENTRIES = 12  # events turned into test entries in the test_entries modes (every third of a small set)


def opintopolku_oids(count: int = LISTINGS) -> list[str]:
    return [f"1.2.246.562.17.{i:020d}" for i in range(count)]


def susa_events(count: int = LISTINGS) -> list[str]:
    return [f"e.sv.hostile.{i}" for i in range(count)]


def planned_events(count: int = LISTINGS) -> list[str]:
    return [f"e.IST.HOSTILE{i:03d}" for i in range(count)]


OPINTOPOLKU_OIDS, SUSA_EVENTS, PLANNED_EVENTS = opintopolku_oids(), susa_events(), planned_events()


def _ls(**texts: str) -> dict:
    return {"strings": [{"lang": lang, "value": value} for lang, value in texts.items()]}


class HostileSources(LoopbackServer):
    def __init__(self, events: int = LISTINGS, implementations: int = LISTINGS, page_size: int = PAGE_SIZE) -> None:
        super().__init__()
        self.mode = "good"
        self._answered_once: set[str] = set()
        self.oids = opintopolku_oids(implementations)
        self.oid_index = {oid: i for i, oid in enumerate(self.oids)}
        self.susa_ids = susa_events(events)
        self.planned_ids = planned_events(events)
        self.page_size = page_size

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.requests.clear()
        self._answered_once.clear()

    # --- answering ---------------------------------------------------------------------------
    def respond(self, raw: str) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw)
        path, query = parts.path, dict(parse_qsl(parts.query))
        if self.mode == "retry_after" and ("/external/" in path or "page" in query) and raw not in self._answered_once:
            self._answered_once.add(raw)
            return 429, {"Retry-After": "2", "Content-Type": "application/json"}, b'{"error": "slow down"}'
        if path == "/robots.txt":
            return 404, {}, b""
        try:
            body = self.document(path, query)
        except KeyError:
            return 404, {"Content-Type": "application/json"}, b'{"error": "not found"}'
        if isinstance(body, tuple):  # (status, headers, body, delay) decided by the mode
            status, headers, content, delay = body
            time.sleep(delay)
            return status, headers, content
        if isinstance(body, bytes):
            return 200, {"Content-Type": "application/json; charset=utf-8"}, body
        if isinstance(body, str):
            return 200, {"Content-Type": "application/xml; charset=utf-8"}, body.encode("utf-8")
        return (
            200,
            {"Content-Type": "application/json; charset=utf-8"},
            json.dumps(body, ensure_ascii=False).encode("utf-8"),
        )

    def document(self, path: str, query: dict[str, str]) -> Any:
        if path == "/konfo-backend/sitemap/toteutus-sitemap.xml":
            urls = "".join(f"<url><loc>https://opintopolku.fi/konfo/fi/toteutus/{oid}</loc></url>" for oid in self.oids)
            return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        if path == "/konfo-backend/external/search/toteutukset-koulutuksittain":
            return self.search(int(query.get("page", 1)))
        if path.startswith("/konfo-backend/external/toteutus/"):
            return self.toteutus(path.rsplit("/", 1)[1])
        if path == f"/konfo-backend/external/koulutus/{KOULUTUS_OID}":
            return {
                "oid": KOULUTUS_OID,
                "koulutustyyppi": "amm",
                "nimi": {"fi": "Sähkö- ja automaatioalan perustutkinto"},
                "metadata": {
                    "opintojenLaajuusNumero": 180,
                    "opintojenLaajuusyksikko": {"koodiUri": "opintojenlaajuusyksikko_6"},
                },
            }
        if path.startswith("/susa-navet/emil3/"):
            return self.susa_page(path.rsplit("/", 1)[1], int(query.get("page", 0)))
        if path == "/planned-educations/v4/adult-education-events":
            return self.planned_page(int(query.get("page", 0)))
        raise KeyError(path)

    def description(self, index: int, language: str) -> str:
        words = {
            "fi": "Opiskelija oppii sähköasennukset ja akkujärjestelmien huollon käytännön työssä.",
            "sv": "Kursen ger kunskaper i elinstallation och underhåll av batterisystem i praktiken.",
        }[language]
        if self.mode == "long_tokens":
            return words + " " + "x" * 1_000_000
        if self.mode == "huge_document" and index == 0:
            return words + (" " + words) * 250_000
        if self.mode == "big_texts":
            return " ".join(f"{words} {index}-{n}" for n in range(1200))
        return f"{words} Ryhmä {index}." if language == "fi" else f"{words} Grupp {index}."

    # --- Opintopolku -------------------------------------------------------------------------
    def toteutus(self, oid: str) -> Any:
        if oid not in self.oid_index:
            raise KeyError(oid)
        index = self.oid_index[oid]
        if self.mode == "other_id" and index % 6 == 5:
            return self.toteutus_document(self.oids[(index + 1) % len(self.oids)])  # the neighbour's
        if self.mode == "rate_limited" and index % 3 == 1:
            status, wait = (429, "30") if index % 2 else (503, "120")
            return status, {"Retry-After": wait, "Content-Type": "application/json"}, b'{"error": "busy"}', 0
        if self.mode == "archived_two_unreadable" and index in (0, 1):
            return b'{"oid": "' + oid.encode() + b'", "nimi": '  # cut off: not JSON
        return self.toteutus_document(oid)

    def toteutus_document(self, oid: str) -> Any:
        index = self.oid_index[oid]
        state = {"status_case": "JULKAISTU", "status_unknown": "PUBLISHED", "nulls": None}.get(self.mode, "julkaistu")
        if self.mode == "archived_two_unreadable" and index == 2:
            state = "arkistoitu"
        doc: dict[str, Any] = {
            "oid": oid,
            "koulutusOid": KOULUTUS_OID,
            "tila": state,
            "kielivalinta": ["fi"],
            "nimi": {"fi": f"Sähköasennusten perusteet {index}"},
            "modified": "2026-10-01T08:00:00",
            "organisaatio": {
                "oid": "1.2.246.562.10.00000000001",
                "nimi": {"fi": "Oulun seudun ammattiopisto"},
                "paikkakunta": {"koodiUri": "kunta_564#2", "nimi": {"fi": "Oulu"}},
            },
            "tarjoajat": [
                {
                    "oid": "1.2.246.562.10.90000000001",
                    "nimi": {"fi": "Kampus"},
                    "paikkakunta": {"koodiUri": "kunta_564", "nimi": {"fi": "Oulu"}},
                }
            ],
            "metadata": {
                "tyyppi": "amm",
                "kuvaus": {"fi": f"<p>{self.description(index, 'fi')}</p>"},
                "opetus": {
                    "opetuskieli": [{"koodiUri": "oppilaitoksenopetuskieli_1#2"}],
                    "maksullisuustyyppi": "maksuton",
                },
            },
        }
        if self.mode == "nulls":
            doc["nimi"] = None
            doc["metadata"] = None
        if self.mode == "type_drift":
            doc["metadata"] = 5
            doc["nimi"] = 7
            doc["tarjoajat"] = 3
        if self.mode == "invalid_utf8" and index == 0:
            return json.dumps(doc, ensure_ascii=False).encode("utf-8").replace("Sähkö".encode(), b"S\xe4hk\xf6")
        if self.mode == "offsite_redirect" and index == 0:
            return 302, {"Location": f"http://127.0.0.2:{self.port}/konfo-backend/external/toteutus/{oid}"}, b"", 0
        if self.mode == "slow" and index == 0:
            return 200, {"Content-Type": "application/json"}, json.dumps(doc).encode(), 5.0
        return doc

    def search(self, page: int) -> Any:
        if self.mode == "endless_pages":
            return {
                "total": 10**9,
                "hits": [{"oid": KOULUTUS_OID, "toteutukset": [{"toteutusOid": self.oids[page % len(self.oids)]}]}],
            }
        return {
            "total": len(self.oids),
            "hits": [{"oid": KOULUTUS_OID, "toteutukset": [{"toteutusOid": o} for o in self.oids]}]
            if page == 1
            else [],
        }

    # --- Susa-navet --------------------------------------------------------------------------
    def susa_records(self, kind: str) -> list[dict[str, Any]]:
        if kind == "educationProviders":
            return [
                {
                    "id": "p.sv.hostile",
                    "status": "ACTIVE",
                    "content": {"identifier": "p.sv.hostile", "name": _ls(swe="Skellefteå kommun")},
                }
            ]
        if kind == "educationInfos":
            return [
                {
                    "id": "i.sv.hostile",
                    "status": "ACTIVE",
                    "content": {
                        "identifier": "i.sv.hostile",
                        "code": "ELBAT",
                        "title": _ls(swe="Elteknik"),
                        "type": {"type": "C_SchoolType", "code": "VUXGY"},
                        "credits": {"system": {"type": "C_Credits", "code": "gy"}, "credits": 100},
                    },
                }
            ]
        if kind != "educationEvents":
            raise KeyError(kind)
        status = {"status_case": "active", "status_unknown": "PUBLISHED"}.get(self.mode, "ACTIVE")
        events = []
        for index, event_id in enumerate(self.susa_ids):
            title = f"Elteknik för batteriproduktion {index}"
            if self.mode.startswith("test_entries") and index % max(len(self.susa_ids) // TEST_ENTRIES, 3) == 0:
                title = f"(testi) {title}"  # spread over the pages, TEST_ENTRIES of them
            content: Any = {
                "identifier": event_id,
                "education": "i.sv.hostile",
                "providers": ["p.sv.hostile"],
                "title": _ls(swe=title),
                "description": _ls(swe=self.description(index, "sv")),
                "url": {"urls": [{"lang": "swe", "value": f"www.skelleftea.se/vux/{index}"}]},
                "locations": [{"town": "Skellefteå", "areaCode": "2482"}],
                "languageOfInstructions": ["swe"],
                "execution": {"condition": {"type": "C_ExecutionCondition", "code": "1"}, "start": "2027-01-11"},
            }
            record = {"id": event_id, "status": status, "content": content}
            if self.mode == "nulls":
                record["content"] = None
            if self.mode == "type_drift":
                record["content"] = 5 if index % 2 else {**content, "locations": 3, "execution": "soon", "title": 9}
            if self.mode == "deleted_one" and index == 0:
                record = {"id": event_id, "status": "DELETED", "content": None}
            events.append(record)
            if self.mode == "duplicate_ids":
                events.append(
                    {
                        "id": event_id,
                        "status": "ACTIVE",
                        "content": {**content, "title": _ls(swe=f"Elteknik, ny titel {index}")},
                    }
                )
        return events

    def susa_page(self, kind: str, page: int) -> Any:
        records = self.susa_records(kind)
        size = self.page_size * (2 if self.mode == "duplicate_ids" and kind == "educationEvents" else 1)
        return self.paged(kind, records, page, size, "pageNumber", events=kind == "educationEvents")

    def paged(self, name: str, records: list[Any], page: int, size: int, number: str, events: bool = True) -> Any:
        """One page of ``records`` in the Skolverket envelope, as the mode serves it."""
        pages = max(1, -(-len(records) // size))
        rows = records[page * size : (page + 1) * size]
        stated = {"size": size, "totalElements": len(records), "totalPages": pages, number: page}
        if self.mode == "endless_pages":
            rows, stated = records[:size], {**stated, "totalElements": 10**9, "totalPages": 10**9}
        elif events and self.mode == "total_lower":
            stated["totalElements"] = min(size, len(records))  # "one page", while totalPages says all
        elif events and self.mode == "duplicate_rows" and page == 0:
            rows = records[: 2 * size]  # its rows, then the next page's again
        elif events and self.mode == "test_entries_half_page" and page == pages // 2:
            rows = rows[: len(rows) // 2]
        if events and self.mode == "not_objects":
            return [name, page] if page == 0 else "not a page"
        return {"links": [], name: rows, "page": stated}

    # --- Planned Educations ------------------------------------------------------------------
    def planned_page(self, page: int) -> Any:
        status = {"status_case": "active"}.get(self.mode)
        events = []
        for index, event_id in enumerate(self.planned_ids):
            event: dict[str, Any] = {
                "educationEventId": event_id,
                "providerName": "Skellefteå kommun",
                "municipality": "Skellefteå",
                "geographicalAreaCode": "2482",
                "credits": "100",
                "creditsSystem": "gy",
                "town": "SKELLEFTEÅ",
                "typeOfSchool": "Gymnasial vuxenutbildning",
                "semesterStartFrom": "2027-01-11",
                "paceOfStudy": "100.0",
                "titleSv": f"<![CDATA[Elteknik för batteriproduktion {index}]]>",
                "distance": False,
                "lastApplicationDate": "2026-11-30T23:59:59",
                "executionCondition": 1,
            }
            if status:
                event["status"] = status
            if self.mode == "type_drift":
                event.update({"titleSv": 5, "paceOfStudy": {"x": 1}, "semesterStartFrom": 20270111, "credits": []})
            if self.mode == "nulls":
                event.update({k: None for k in event if k != "educationEventId"})
            events.append(event)
        paged = self.paged("listedAdultEducationEvents", events, page, self.page_size, "number")
        if not isinstance(paged, dict):
            return paged
        body = {"_embedded": {"listedAdultEducationEvents": paged.pop("listedAdultEducationEvents")}, **paged}
        body.pop("links")
        return {"status": "OK", "message": "Success", "body": body}
