"""The Opintopolku spider over the real recorded documents in ../shared/samples/fi, served by the
replay server, checked against the documents themselves (skipped when the samples are absent)."""

from __future__ import annotations

import json

import sqlite_utils

from aggregator.sample_replay import build_opintopolku_replay
from spiders.extract.opintopolku import code_value
from tests.conftest import run_cli


def _names(value):
    return {v.strip() for v in (value or {}).values() if isinstance(v, str) and v.strip()}


def test_spider_over_the_real_samples_matches_the_documents(samples_dir, tmp_path, db_path):
    replay = tmp_path / "replay"
    laid_out = build_opintopolku_replay(samples_dir, replay)
    assert len(laid_out["toteutus"]) >= 9
    run_cli("--db", db_path, "crawl", "opintopolku_fi", "--replay", str(replay))

    db = sqlite_utils.Database(db_path)
    rows = {r["source_id"]: r for r in db["courses"].rows}
    # every document is a listing, but the register's test and placeholder entries are held back
    held_back = {r["source_id"] for r in db["held_back_listings"].rows}
    assert set(rows) | held_back == set(laid_out["toteutus"]) and not set(rows) & held_back
    assert len(held_back) == 3
    toteutus_dir = replay / "konfo-backend" / "external" / "toteutus"
    for oid, row in rows.items():
        doc = json.loads((toteutus_dir / oid).read_text("utf-8"))
        titles = doc.get("nimi") or {}
        # the title is the document's name in the first provider-chosen language that has one
        chosen = next(l for l in (doc.get("kielivalinta") or []) + ["fi", "sv", "en"] if titles.get(l))
        assert row["title_lang"] == chosen
        assert row["title"] == " ".join(titles[chosen].split())
        assert row["provider_name"] in _names((doc.get("organisaatio") or {}).get("nimi"))
        places = {
            code_value(u["paikkakunta"]["koodiUri"]).zfill(3): _names(u["paikkakunta"].get("nimi"))
            for u in (doc.get("tarjoajat") or []) + [doc.get("organisaatio") or {}]
            if (u or {}).get("paikkakunta")
        }
        assert row["municipality_code"] in places
        assert row["municipality"] in places[row["municipality_code"]]
        assert row["url"] == f"https://opintopolku.fi/konfo/fi/toteutus/{oid}"
    run = list(db["crawl_runs"].rows)[0]
    assert run["status"] == "finished" and run["errors"] == 0
