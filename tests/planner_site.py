"""A small published site with listings in the partners' regions, for the planner's pages.

bench/synthetic.py writes 1,500 Susa-navet events and 700 Opintopolku implementations placed in
Skellefteå, Umeå, Luleå, Oulu, Kotka, Kouvola, Lappeenranta and other towns; both spiders crawl
them through every pipeline. Then, as a register would have it, some listings state their seats
and a few are withdrawn (removed), so that the counts must leave those out. Built once per test
session and served as deployed (an immutable snapshot)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from aggregator.publish import served
from aggregator.snapshot import snapshot
from tests.conftest import REPO, run_cli


def build(folder: Path) -> Path:
    replay = folder / "synthetic"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "synthetic.py"),
            str(replay),
            "--events",
            "1500",
            "--implementations",
            "700",
        ],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    db_path = folder / "live.db"
    for spider in ("susanavet_se", "opintopolku_fi"):
        run_cli("--db", str(db_path), "crawl", spider, "--replay", str(replay))
    db = sqlite_utils.Database(db_path)
    with db.conn:
        # every third listing states its seats (12 to 41), every 37th is withdrawn
        db.execute("update courses set seats = 12 + (rowid % 30) where rowid % 3 = 0")
        db.execute("update courses set removed_at = '2026-11-30T00:00:00Z' where rowid % 37 = 0")
    db.close()
    published = folder / "public" / "aggregator.db"
    snapshot(db_path, published)
    return published


@pytest.fixture(scope="session")
def planner_site(tmp_path_factory):
    published = build(tmp_path_factory.mktemp("planner"))
    with served(str(published), immutable=True) as base:
        yield base, published
