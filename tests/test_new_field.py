"""A new field is one line in store/listing.py: in a scratch copy of the project, a source fact
(``certifications: list[str]``) and a derived field (``title_words: int | None``) are added to Course,
each with its column description and a pipeline filling it in (one entry in ITEM_PIPELINES),
and the recorded responses are crawled twice: no storage error, and the second crawl finds every
listing unchanged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import sqlite_utils

from tests.conftest import FIXTURES, REPO, SAMPLES, crawl_logs, run_cli

# The two lines a contributor adds to Course (after the fields they follow).
NEW_FIELDS = {
    "    extras: dict[str, Any] = field(default_factory=dict)\n": "    certifications: list[str] = "
    "field(default_factory=list)\n",
    "    start_from: str | None = derived()\n": "    title_words: int | None = derived()\n",
}
# Pipelines standing in for what fills them: a spider (before the unchanged check, like every
# source fact) and a deriving pipeline (after it, like languages and English).
SCRATCH_PIPELINES = '''"""Fills the scratch fields."""

from spiders.items import Course


class OccupationsPipeline:
    def process_item(self, item):
        if isinstance(item, Course):
            item.certifications = sorted({word.casefold() for word in (item.title or "").split()[:3]})
        return item


class TitleWordsPipeline:
    def process_item(self, item):
        if isinstance(item, Course):
            item.title_words = len((item.title or "").split()) or None
        return item
'''
# One register per country (each crawl is a process of several seconds); without the shared
# samples, their fixture cases.
FIXTURE_CRAWLS = {"opintopolku_fi": "four_offerings", "susanavet_se": "six_school_forms"}


def _scratch_copy(folder: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("aggregator", "pipelines", "spiders", "store", "translate"):
        shutil.copytree(REPO / package, folder / package, ignore=ignore)
    for name in ("datasette_metadata.yml", "scrapy.cfg"):
        shutil.copy(REPO / name, folder / name)
    listing = folder / "store" / "listing.py"
    text = listing.read_text("utf-8")
    for after, line in NEW_FIELDS.items():
        assert text.count(after) == 1, after
        text = text.replace(after, after + line)
    listing.write_text(text, "utf-8")
    metadata = folder / "datasette_metadata.yml"
    text = metadata.read_text("utf-8")
    anchor = "          start_from: "
    assert text.count(anchor) == 1
    text = text.replace(
        anchor,
        '          certifications: "Certifications the source names (JSON list)."\n'
        '          title_words: "Words in the title (derived)."\n' + anchor,
    )
    metadata.write_text(text, "utf-8")
    (folder / "pipelines" / "scratch_fields.py").write_text(SCRATCH_PIPELINES, "utf-8")
    settings = folder / "spiders" / "settings.py"
    text = settings.read_text("utf-8")
    text = text.replace(
        "ITEM_PIPELINES = {\n",
        'ITEM_PIPELINES = {\n    "pipelines.scratch_fields.OccupationsPipeline": 50,\n'
        '    "pipelines.scratch_fields.TitleWordsPipeline": 650,\n',
    )
    settings.write_text(text, "utf-8")
    return folder


def _crawl(scratch: Path, db_path: Path, spiders: list[str], replay: Path, arguments=()) -> None:
    env = {**os.environ, "PYTHONPATH": str(scratch), "AGGREGATOR_LOG_LEVEL": "INFO"}
    command = [sys.executable, "-m", "aggregator.cli", "--db", str(db_path), "crawl", "--replay", str(replay)]
    command += spiders
    for argument in arguments:
        command += ["-a", argument]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=scratch, timeout=600)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-3000:]}"
    # the terminal has the progress and summary lines; Scrapy's log is in the file they name
    log = crawl_logs(done)
    assert "Storage error" not in log and "Spider closed (finished)" in log
    assert "[scrapy" not in done.stdout + done.stderr and "listings (" in done.stdout


def test_a_list_fact_and_a_derived_field_added_to_the_listing_store_and_leave_a_recrawl_unchanged(tmp_path):
    scratch = _scratch_copy(tmp_path / "scratch")
    db_path = tmp_path / "aggregator.db"
    if SAMPLES.is_dir():
        replay = tmp_path / "replay"
        run_cli("samples", str(SAMPLES), str(replay))
        crawls = [(list(FIXTURE_CRAWLS), replay, ())]
    else:
        crawls = []
        for spider, case in FIXTURE_CRAWLS.items():
            folder = FIXTURES / spider / case
            arguments = [f"{k}={v}" for k, v in json.loads((folder / "case.json").read_text("utf-8"))["args"].items()]
            crawls.append(([spider], folder / "responses", arguments))
    for _ in range(2):
        for spider, replay, arguments in crawls:
            _crawl(scratch, db_path, spider, replay, arguments)

    db = sqlite_utils.Database(db_path)
    runs = list(db.query("select * from crawl_runs order by id"))
    first, second = runs[: len(runs) // 2], runs[len(runs) // 2 :]
    assert len(first) == len(second) >= 2 and all(r["status"] == "finished" for r in runs)
    assert all(r["errors"] == 0 and "unstorable_value" not in r["error_counts"] for r in runs)
    assert sum(r["new"] for r in first) == db["courses"].count > 0
    # the second crawl: every listing seen again, none changed, none new
    assert [(r["changed"], r["new"]) for r in second] == [(0, 0)] * len(second)
    assert sum(r["unchanged"] for r in second) == sum(r["new"] for r in first)
    assert db["course_changes"].count == 0
    # both fields stored as their types say: a JSON list, a number refreshed on every crawl
    rows = list(db.query("select title, certifications, title_words from courses"))
    for row in rows:
        words = (row["title"] or "").split()
        assert json.loads(row["certifications"] or "[]") == sorted({w.casefold() for w in words[:3]})
        assert row["title_words"] == (len(words) or None)
    assert any(json.loads(r["certifications"] or "[]") for r in rows)


def test_the_offline_harness_runs_every_pipeline_of_item_pipelines_but_those_needing_the_database():
    from spiders import settings
    from tests.harness import NEEDS_THE_DATABASE, OfflineRun

    assert NEEDS_THE_DATABASE <= set(settings.ITEM_PIPELINES)  # a renamed one would run offline
    run = OfflineRun("susanavet_se", FIXTURES / "susanavet_se" / "six_school_forms" / "responses")
    ran = [f"{type(p).__module__}.{type(p).__name__}" for p in run.pipelines]
    by_order = sorted(settings.ITEM_PIPELINES, key=settings.ITEM_PIPELINES.get)
    assert ran == [path for path in by_order if path not in NEEDS_THE_DATABASE]
    assert "pipelines.holdback.HoldBackPipeline" in ran
