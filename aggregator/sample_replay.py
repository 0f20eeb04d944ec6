"""Builds replay folders from the real recorded responses in ../shared/samples.

The Opintopolku samples are konfo-ui test recordings of ``/konfo-backend/toteutus|koulutus/{oid}``;
the ``/external/`` routes serve the same documents, so they are laid out under those paths,
with a toteutus sitemap listing every recorded implementation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

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
