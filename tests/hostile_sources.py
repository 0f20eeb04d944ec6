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
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aggregator.replay import LoopbackServer

LISTINGS = 12
OPINTOPOLKU_OIDS = [f"1.2.246.562.17.{i:020d}" for i in range(LISTINGS)]
KOULUTUS_OID = "1.2.246.562.13.00000000000000000001"
SUSA_EVENTS = [f"e.sv.hostile.{i}" for i in range(LISTINGS)]
PLANNED_EVENTS = [f"e.IST.HOSTILE{i:03d}" for i in range(LISTINGS)]
PAGE_SIZE = 5  # the server's page size: several pages per listing


def _ls(**texts: str) -> dict:
    return {"strings": [{"lang": lang, "value": value} for lang, value in texts.items()]}


class HostileSources(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.mode = "good"
        self._answered_once: set[str] = set()

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
            urls = "".join(
                f"<url><loc>https://opintopolku.fi/konfo/fi/toteutus/{oid}</loc></url>" for oid in OPINTOPOLKU_OIDS
            )
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
        if oid not in OPINTOPOLKU_OIDS:
            raise KeyError(oid)
        index = OPINTOPOLKU_OIDS.index(oid)
        state = {"status_case": "JULKAISTU", "status_unknown": "PUBLISHED", "nulls": None}.get(self.mode, "julkaistu")
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
                "hits": [{"oid": KOULUTUS_OID, "toteutukset": [{"toteutusOid": OPINTOPOLKU_OIDS[page % LISTINGS]}]}],
            }
        return {
            "total": LISTINGS,
            "hits": [{"oid": KOULUTUS_OID, "toteutukset": [{"toteutusOid": o} for o in OPINTOPOLKU_OIDS]}]
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
        for index, event_id in enumerate(SUSA_EVENTS):
            content: Any = {
                "identifier": event_id,
                "education": "i.sv.hostile",
                "providers": ["p.sv.hostile"],
                "title": _ls(swe=f"Elteknik för batteriproduktion {index}"),
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
        size = PAGE_SIZE * (2 if self.mode == "duplicate_ids" and kind == "educationEvents" else 1)
        pages = max(1, -(-len(records) // size))
        if self.mode == "endless_pages":
            return {
                "links": [],
                kind: records[:size],
                "page": {"size": size, "totalElements": 10**9, "totalPages": 10**9, "pageNumber": page},
            }
        return {
            "links": [],
            kind: records[page * size : (page + 1) * size],
            "page": {"size": size, "totalElements": len(records), "totalPages": pages, "pageNumber": page},
        }

    # --- Planned Educations ------------------------------------------------------------------
    def planned_page(self, page: int) -> Any:
        status = {"status_case": "active"}.get(self.mode)
        events = []
        for index, event_id in enumerate(PLANNED_EVENTS):
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
        if self.mode == "endless_pages":
            body = {
                "_embedded": {"listedAdultEducationEvents": events[:PAGE_SIZE]},
                "page": {"size": PAGE_SIZE, "totalElements": 10**9, "totalPages": 10**9, "number": page},
            }
        else:
            pages = -(-len(events) // PAGE_SIZE)
            body = {
                "_embedded": {"listedAdultEducationEvents": events[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]},
                "page": {"size": PAGE_SIZE, "totalElements": len(events), "totalPages": pages, "number": page},
            }
        return {"status": "OK", "message": "Success", "body": body}
