"""Builds replay folders from the real recorded responses in ../shared/samples.

The Opintopolku samples are konfo-ui test recordings of ``/konfo-backend/toteutus|koulutus/{oid}``;
the ``/external/`` routes serve the same documents, so they are laid out under those paths,
with a toteutus sitemap listing every recorded implementation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_DOC_URL = re.compile(r"/konfo-backend/(toteutus|koulutus)/(1\.2\.246\.562\.\d+\.\d+)$")
SITEMAP_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'


def _recorded_documents(fi_samples: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    ui = fi_samples / "opintopolku-konfo-ui" / "playwright"
    for mocks in sorted((ui / "mocks").glob("*.mocks.json")):
        for entry in json.loads(mocks.read_text("utf-8")):
            match = _DOC_URL.search(entry.get("url", ""))
            body = (entry.get("response") or {}).get("body")
            if isinstance(body, str):
                try:
                    body = json.loads(body)
                except ValueError:
                    continue
            if match and isinstance(body, dict):
                yield match.group(1), match.group(2), body
    fixtures = ui / "fixtures"
    for kind in ("toteutus", "koulutus"):
        for file in sorted(fixtures.glob(f"{kind}-*.json")):
            body = json.loads(file.read_text("utf-8"))
            if isinstance(body, dict) and body.get("oid"):
                yield kind, body["oid"], body


def build_opintopolku_replay(samples_dir: str | Path, out_dir: str | Path) -> dict[str, list[str]]:
    """Write the replay folder; returns the OIDs laid out per kind."""
    fi = Path(samples_dir) / "fi"
    out = Path(out_dir)
    chosen: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, oid, body in _recorded_documents(fi):
        # konfo-ui reuses some URLs for other documents: prefer the one whose oid is the URL's.
        if (kind, oid) not in chosen or (body.get("oid") == oid and chosen[(kind, oid)].get("oid") != oid):
            chosen[(kind, oid)] = body
    laid_out: dict[str, list[str]] = {"toteutus": [], "koulutus": []}
    for (kind, oid), body in sorted(chosen.items()):
        target = out / "konfo-backend" / "external" / kind / oid
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
        laid_out[kind].append(oid)
    sitemap = out / "konfo-backend" / "sitemap" / "toteutus-sitemap.xml"
    sitemap.parent.mkdir(parents=True, exist_ok=True)
    urls = "".join(
        f"  <url><loc>https://opintopolku.fi/konfo/{lang}/toteutus/{oid}</loc></url>\n"
        for oid in laid_out["toteutus"]
        for lang in ("fi", "sv")
    )
    sitemap.write_text(SITEMAP_HEAD + urls + "</urlset>\n", "utf-8")
    return laid_out


def _single_page(listing: dict[str, Any], key: str, extra: list[dict[str, Any]]) -> dict[str, Any]:
    """A recorded list page made the only page, with by-id documents merged in (the by-id
    version replaces the list's entry of the same id)."""
    records = {str(r.get("id")).lower(): r for r in listing.get(key) or []}
    for record in extra:
        records[str(record.get("id")).lower()] = record
    page = dict(listing.get("page") or {})
    page.update({"totalPages": 1, "totalElements": len(records), "pageNumber": 0})
    return {**listing, key: list(records.values()), "page": page}


def build_skolverket_replay(samples_dir: str | Path, out_dir: str | Path) -> dict[str, int]:
    """Lay out the Swedish samples under their real URL paths:
    ``/susa-navet/emil3/educationEvents|Infos|Providers`` and
    ``/planned-educations/v3|v4/adult-education-events[/{id}]``. Returns records per listing."""
    se = Path(samples_dir) / "se"
    out = Path(out_dir)
    susa, susa_out = se / "susa-navet-emil3", out / "susa-navet" / "emil3"
    load = lambda name: json.loads((susa / name).read_text("utf-8"))  # noqa: E731
    listings = {
        "educationEvents": _single_page(
            load("susa_navet_events.json"), "educationEvents", [load("susa_navet_event.json")]
        ),
        "educationInfos": _single_page(load("susa_navet_infos.json"), "educationInfos", [load("susa_navet_info.json")]),
        "educationProviders": _single_page(load("susa_navet_providers.json"), "educationProviders", []),
    }
    counts = {}
    susa_out.mkdir(parents=True, exist_ok=True)
    for name, listing in listings.items():
        (susa_out / name).write_text(json.dumps(listing, ensure_ascii=False), "utf-8")
        counts[name] = len(listing[name])

    planned = se / "skolverket-planned-educations"
    events = json.loads((planned / "planned_educations_adult_events.json").read_text("utf-8"))
    detail = json.loads((planned / "planned_educations_adult_event.json").read_text("utf-8"))
    page = events["body"]["page"]
    # the recorded page made the only one: its stated counts agree with it, as a whole listing's do
    listed = events["body"]["_embedded"]["listedAdultEducationEvents"]
    events["body"]["page"] = {**page, "totalPages": 1, "totalElements": len(listed), "number": 0}
    # The list path is also the folder of the details, so the list is served via the manifest.
    (out / "recorded").mkdir(parents=True, exist_ok=True)
    (out / "recorded" / "planned_adult_education_events.json").write_text(
        json.dumps(events, ensure_ascii=False), "utf-8"
    )
    entries = []
    for version in ("v3", "v4"):
        folder = out / "planned-educations" / version / "adult-education-events"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / detail["body"]["educationEventId"]).write_text(json.dumps(detail, ensure_ascii=False), "utf-8")
        entries.append(
            {
                "path": f"/planned-educations/{version}/adult-education-events",
                "body_file": "recorded/planned_adult_education_events.json",
            }
        )
    add_to_manifest(out, entries)
    counts["adult-education-events"] = len(events["body"]["_embedded"]["listedAdultEducationEvents"])
    return counts


def add_to_manifest(out_dir: str | Path, entries: list[dict[str, Any]]) -> None:
    manifest = Path(out_dir) / "manifest.json"
    existing = json.loads(manifest.read_text("utf-8")) if manifest.exists() else []
    existing = [
        e for e in existing if (e.get("path"), e.get("query")) not in {(n.get("path"), n.get("query")) for n in entries}
    ]
    manifest.write_text(json.dumps(existing + entries, ensure_ascii=False, indent=1), "utf-8")


def build_all_replays(samples_dir: str | Path, out_dir: str | Path) -> dict[str, Any]:
    """Every source's samples in one replay folder (paths do not collide)."""
    return {
        "opintopolku": build_opintopolku_replay(samples_dir, out_dir),
        "skolverket": build_skolverket_replay(samples_dir, out_dir),
    }
