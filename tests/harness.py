"""Runs a spider offline, without a reactor: requests are answered from a recorded-responses
folder (the replay server's layout and rules), items go through the project's pipelines
(``ITEM_PIPELINES`` in spiders/settings.py, in their order) except those that need the database
(``NEEDS_THE_DATABASE``). Milliseconds per case, so every fixture is a test; a new pipeline in
``ITEM_PIPELINES`` runs here too.

Refresh a fixture's expected items after reviewing a change:

    .venv/bin/python -m tests.harness --refresh tests/fixtures/opintopolku_fi/four_offerings
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from collections import deque
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.http import TextResponse
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from aggregator.crawl import replay_base_url
from aggregator.replay import ReplayServer
from spiders.items import Course, Seen

OFFLINE_BASE = "http://replay.test"
VOLATILE = {"fetched_at"}
# The pipelines of ITEM_PIPELINES that do not run offline: they read or write the database.
NEEDS_THE_DATABASE = {"pipelines.unchanged.UnchangedPipeline", "pipelines.store.StorePipeline"}


def project_settings() -> dict[str, Any]:
    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    return {k: v for k, v in settings.items() if k.isupper()}


def offline_pipelines(settings: Settings) -> list[type]:
    """The classes of ``settings``' ITEM_PIPELINES in their order, without NEEDS_THE_DATABASE."""
    paths = build_component_list(settings.getwithbase("ITEM_PIPELINES"))
    return [load_object(path) for path in paths if path not in NEEDS_THE_DATABASE]


def spider_class(name: str):
    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    return SpiderLoader.from_settings(settings).load(name)


class OfflineRun:
    def __init__(
        self, spider_name: str, responses: Path, args: dict[str, Any] | None = None, settings: dict | None = None
    ):
        self.replay = ReplayServer.__new__(ReplayServer)  # only its response rules, no socket
        self.replay.root = Path(responses).resolve()
        manifest = self.replay.root / "manifest.json"
        self.replay.manifest = json.loads(manifest.read_text("utf-8")) if manifest.exists() else []
        self.replay.public_base = OFFLINE_BASE
        cls = spider_class(spider_name)
        # Reactorless mode: nothing here downloads; callbacks are called directly.
        offline = {"TWISTED_REACTOR_ENABLED": False, "TWISTED_REACTOR": None}
        self.crawler = get_crawler(cls, {**project_settings(), **offline, **(settings or {})})
        # The real API root's path (a web site's host folder) under the fake host: fixtures
        # mirror the real URL paths. A case's own base_url argument wins.
        arguments = {"base_url": replay_base_url(spider_name, OFFLINE_BASE), **(args or {})}
        self.spider = cls.from_crawler(self.crawler, **arguments)
        self.crawler.spider = self.spider
        self.stats = self.crawler.stats
        self.pipelines = [build_from_crawler(p, self.crawler) for p in offline_pipelines(self.crawler.settings)]
        self.items: list[Any] = []
        self.requested: list[Request] = []

    def run(self) -> OfflineRun:
        queue: deque[Request] = deque(self.spider.discovery_requests())
        seen_urls: set[str] = set()
        while queue:
            request = queue.popleft()
            if request.url in seen_urls and not request.dont_filter:
                continue
            seen_urls.add(request.url)
            self.requested.append(request)
            path = request.url[len(OFFLINE_BASE) :] if request.url.startswith(OFFLINE_BASE) else request.url
            status, headers, body = self.replay.respond(path)
            response = TextResponse(
                request.url, status=status, headers=headers, body=body, request=request, encoding="utf-8"
            )
            if status >= 400:
                failure = Failure(HttpError(response))
                failure.request = request
                output = request.errback(failure) if request.errback else None
            else:
                output = request.callback(response, **request.cb_kwargs)
            for produced in output or []:
                if isinstance(produced, Request):
                    queue.append(produced)
                else:
                    self._process(produced)
        return self

    def _process(self, item: Any) -> None:
        try:
            for pipeline in self.pipelines:
                item = pipeline.process_item(item)
                if asyncio.iscoroutine(item):
                    item = asyncio.run(item)
        except DropItem:
            return
        self.items.append(item)

    @property
    def courses(self) -> list[Course]:
        return [i for i in self.items if isinstance(i, Course)]

    @property
    def seen(self) -> list[Seen]:
        return [i for i in self.items if isinstance(i, Seen)]

    def aggregator_stats(self) -> dict[str, Any]:
        return {k: v for k, v in self.stats.get_stats().items() if k.startswith("aggregator/")}


def comparable(item: Any) -> dict[str, Any]:
    data = ItemAdapter(item).asdict() if not dataclasses.is_dataclass(item) else dataclasses.asdict(item)
    return {k: v for k, v in data.items() if k not in VOLATILE}


def load_case(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "case.json").read_text("utf-8"))


def run_case(folder: Path) -> OfflineRun:
    case = load_case(folder)
    return OfflineRun(case["spider"], folder / "responses", case.get("args")).run()


def refresh(folder: Path) -> None:
    case = load_case(folder)
    run = run_case(folder)
    case["expected_items"] = [comparable(c) for c in run.courses]
    case["expected_stats"] = run.aggregator_stats()
    (folder / "case.json").write_text(json.dumps(case, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"{folder}: {len(run.courses)} items, stats {case['expected_stats']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refresh", nargs="+", type=Path, required=True, help="fixture folders to refresh")
    for folder in parser.parse_args().refresh:
        refresh(folder)
