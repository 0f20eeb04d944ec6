"""Run spiders, each in its own process (a Twisted reactor cannot be restarted in one process,
and a crash in one source must not take the others down)."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from store.files import known_modified, last_successful_crawl

SETTINGS_MODULE = "spiders.settings"


def _loader() -> SpiderLoader:
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE, priority="project")
    return SpiderLoader.from_settings(settings)


def spider_names() -> list[str]:
    return sorted(_loader().list())


def spider_facts(spider: str) -> dict[str, object]:
    """What the job reads from a spider class: whether it is enabled (provider sites only once
    reviewed) and its kind ("register" or "provider_site")."""
    cls = _loader().load(spider)
    return {"enabled": bool(getattr(cls, "enabled", True)), "kind": getattr(cls, "source_kind", "register")}


def argument_problem(spider: str, arguments: Iterable[str], base_url: str | None = None) -> str | None:
    """What is wrong with a spider's arguments (a missing sitemap_url, a base_url without a
    scheme), found by building the spider here, without crawling; None when they are fine. So
    that a mistake is one line, not a traceback from the crawl process."""
    given = dict(a.split("=", 1) for a in arguments if "=" in a)
    malformed = [a for a in arguments if "=" not in a]
    if malformed:
        return f"spider arguments are NAME=VALUE, got {', '.join(malformed)}"
    if base_url:
        given["base_url"] = base_url
    try:
        _loader().load(spider)(**given)
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None


def enabled_spider_names() -> list[str]:
    """The spiders a job crawls when none are named: every register and every reviewed site."""
    return [name for name in spider_names() if spider_facts(name)["enabled"]]


def has_change_feed(spider: str) -> bool:
    """Whether the spider can fetch only what changed since its last clean run (``incremental=1``)."""
    return bool(getattr(_loader().load(spider), "change_feed", False))


def incremental_arguments(spider: str, db_path: str, arguments: Iterable[str], folder: str) -> list[str]:
    """The spider arguments an incremental run needs from the database, which spiders never
    open themselves: Susa-navet's ``updated_since`` (the day before its last clean crawl) or
    Opintopolku's ``known_modified`` (a JSON file in ``folder``: oid -> modified time). Nothing
    when the run is not incremental or the caller already gave the argument."""
    given = dict(a.split("=", 1) for a in arguments if "=" in a)
    state = getattr(_loader().load(spider), "incremental_state", "")
    if given.get("incremental", "").strip().lower() not in {"1", "true", "yes", "on"} or not state or state in given:
        return []
    if state == "updated_since":
        since = last_successful_crawl(db_path, spider)
        return [f"updated_since={since}"] if since else []
    if state == "known_modified":
        path = Path(folder) / f"{spider}-known-modified.json"
        path.write_text(json.dumps(known_modified(db_path, spider)), "utf-8")
        return [f"known_modified={path}"]
    raise ValueError(f"{spider}: unknown incremental_state {state!r}")


def replay_base_url(spider: str, server_url: str) -> str:
    """The spider's API root on a replay server: the server plus the path of the real API root,
    so one folder mirroring the real URL paths serves every source; for a provider web site, the
    server plus the site's host (the replay server's folder of a recorded site)."""
    cls = _loader().load(spider)
    site = getattr(cls, "site_url", "") or ""
    if site:
        return server_url.rstrip("/") + "/" + urlsplit(site).netloc
    default = getattr(cls, "default_base_url", "") or ""
    return server_url.rstrip("/") + urlsplit(default).path.rstrip("/")


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int) -> Callable[[], None]:
    """For the child, between fork and exec: ask Linux to send it SIGTERM when the job that
    started it dies (cron's timeout, ``kill``, even SIGKILL), so a crawl never goes on writing
    after its job is gone. Scrapy stops gracefully on SIGTERM and the run closes as failed."""

    def set_up() -> None:
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (AttributeError, OSError):  # not Linux: the parent's own handlers stop it
            return
        if os.getppid() != parent:  # the parent died before the request was made
            os.kill(os.getpid(), signal.SIGTERM)

    return set_up


def stop_on_termination() -> None:
    """Turn SIGTERM (and SIGHUP) into SystemExit in the job, so ``run_spider``'s cleanup stops the
    child it is waiting for instead of leaving it behind. SIGINT already raises KeyboardInterrupt."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda number, frame: sys.exit(128 + number))


@dataclass
class CrawlResult:
    spider: str
    returncode: int
    seconds: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def crawl_command(
    spider: str,
    db_path: str,
    base_url: str | None = None,
    arguments: Iterable[str] = (),
    settings: Iterable[str] = (),
) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-s", f"AGGREGATOR_DB={db_path}"]
    if base_url:
        command += ["-a", f"base_url={base_url}"]
    for argument in arguments:
        command += ["-a", argument]
    for setting in settings:
        command += ["-s", setting]
    return command


def run_spider(
    spider: str,
    db_path: str,
    base_url: str | None = None,
    arguments: Iterable[str] = (),
    settings: Iterable[str] = (),
    timeout: float | None = None,
    log_file: str | None = None,
    on_tick: Callable[[float], None] | None = None,
    grace: float = 60.0,
) -> CrawlResult:
    """Crawl one spider in a child process; its log goes to ``log_file`` or this stderr.

    With a timeout, Scrapy is asked to close by itself at that time (CLOSESPIDER_TIMEOUT: the
    run then ends as "closespider_timeout" and marks nothing removed); a child still running
    ``grace`` seconds later is terminated, then killed. ``on_tick`` is called every few seconds
    with the elapsed time, for progress displays.
    """
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": SETTINGS_MODULE, "AGGREGATOR_DB": db_path}
    extra = [f"CLOSESPIDER_TIMEOUT={int(timeout)}"] if timeout else []
    state = tempfile.TemporaryDirectory(prefix="aggregator-incremental-")
    arguments = [*arguments, *incremental_arguments(spider, db_path, arguments, state.name)]
    command = crawl_command(spider, db_path, base_url, arguments, [*settings, *extra])
    started = time.monotonic()
    log = open(log_file, "ab") if log_file else None
    timed_out = False
    process = None
    try:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=log or None,
            stderr=subprocess.STDOUT if log else None,
            preexec_fn=_die_with_parent(os.getpid()),
        )
        while True:
            try:
                process.wait(timeout=2.0)
                break
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - started
                if on_tick:
                    on_tick(elapsed)
                if timeout and elapsed > timeout + grace and not timed_out:
                    timed_out = True
                    process.terminate()  # Scrapy shuts down cleanly on SIGTERM
                elif timed_out and elapsed > timeout + 2 * grace:
                    process.kill()
        return CrawlResult(spider, process.returncode, time.monotonic() - started, timed_out=timed_out)
    finally:
        if process is not None and process.poll() is None:
            # the job itself is stopping (a signal, an exception): stop the crawl with it
            process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if log:
            log.close()
        state.cleanup()
