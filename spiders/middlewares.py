"""Downloader middlewares that keep a crawl bounded and polite when a source misbehaves.

- ``RetryAfterMiddleware``: Scrapy's retry of 429/503 (and the other retry codes), but a
  ``Retry-After`` the server sends is honoured: no request to that host (the retry included)
  is sent before that time, instead of retrying at once. A wait longer than
  ``AGGREGATOR_MAX_RETRY_AFTER`` seconds is not waited for: the request fails and is counted.
  The waits of one run share a budget (``AGGREGATOR_RETRY_AFTER_BUDGET`` seconds; by default
  10 % of the run's time limit, CLOSESPIDER_TIMEOUT): a source that asks for more stops the
  run at once, as failed with the reason ``retry_after_budget``. When the crawl is stopping
  (SIGTERM, the time limit, the budget) no request waits any longer and none is retried, so
  the spider ends within seconds, not after the longest Retry-After.
- ``OffsiteRedirectMiddleware``: a redirect to another host is refused and counted
  (``aggregator/errors/offsite_redirect``): a register's document never comes from elsewhere.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.response import response_status_message
from twisted.internet.task import LoopingCall

from spiders.extract.common import moment

REDIRECT_STATUSES = {301, 302, 303, 307, 308}


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent
    or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


DEFAULT_RETRY_AFTER_BUDGET = 1440.0  # seconds: 10 % of the nightly job's default time limit (4 h)
RETRY_AFTER_BUDGET_SHARE = 0.1  # of the run's time limit
STOP_CHECK_SECONDS = 0.5


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("AGGREGATOR_MAX_RETRY_AFTER", 600)
        self.time_limit = settings.getfloat("CLOSESPIDER_TIMEOUT", 0)
        self.budget = settings.getfloat("AGGREGATOR_RETRY_AFTER_BUDGET", 0) or (
            self.time_limit * RETRY_AFTER_BUDGET_SHARE if self.time_limit else DEFAULT_RETRY_AFTER_BUDGET
        )
        self.waited = 0.0  # Retry-After seconds granted so far in this run
        self.stopping = False
        self.waiters: set[asyncio.Future] = set()
        self.not_before: dict[str, float] = {}  # host -> when it may be asked again (monotonic)
        self.started = time.monotonic()
        self.watch = LoopingCall(self._check_stopping)

    @classmethod
    def from_crawler(cls, crawler):
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider=None) -> None:
        self.started = time.monotonic()
        self.watch.start(STOP_CHECK_SECONDS, now=False)

    def spider_closed(self, spider=None, reason=None) -> None:
        self.stop_waiting()
        if self.watch.running:
            self.watch.stop()

    def _check_stopping(self) -> None:
        """The engine stops (SIGTERM) or the time limit is reached: nothing waits any more."""
        engine = self.crawler.engine
        late = self.time_limit and time.monotonic() - self.started >= self.time_limit
        if not self.stopping and (late or (engine is not None and not engine.running)):
            if late and not self.crawler.stats.get_value("aggregator/stop_reason"):
                self.crawler.stats.set_value(
                    "aggregator/stop_reason",
                    f"the run's time limit of {self.time_limit:.0f} s was reached"
                    + (f" ({self.waited:.0f} s of Retry-After waits)" if self.waited else ""),
                )
            self.stop_waiting()

    def stop_waiting(self) -> None:
        self.stopping = True
        for waiter in list(self.waiters):  # requests held for a Retry-After go (and fail) now
            if not waiter.done():
                waiter.set_result(None)

    async def process_request(self, request, spider=None):
        """Hold a request until its host's Retry-After has passed (unless the crawl stops)."""
        wait = self.not_before.get(urlsplit(request.url).netloc, 0.0) - time.monotonic()
        if wait > 0 and not self.stopping:
            await self._sleep(wait)
        return None

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        if self.stopping:
            return response  # the crawl is ending: the request fails, counted by its errback
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        stats = self.crawler.stats
        if wait is not None:
            if wait > self.max_wait:
                stats.inc_value("aggregator/errors/retry_after_too_long")
                self.crawler.spider.logger.error(
                    "%s asks to wait %.0f s (Retry-After) before %s; more than %.0f s, so the request fails.",
                    response.status,
                    wait,
                    request.url,
                    self.max_wait,
                )
                return response
            if self.waited + wait > self.budget:
                self.over_budget(response, wait)
                return response
            self.waited += wait
            stats.inc_value("aggregator/retry_after_waits")
            stats.set_value("aggregator/retry_after_seconds", self.waited)
            host = urlsplit(request.url).netloc
            # the retry and every other request to the host wait (in process_request)
            self.not_before[host] = max(self.not_before.get(host, 0.0), time.monotonic() + wait)
        retry = self._retry(request, response_status_message(response.status))
        return response if retry is None else retry

    def over_budget(self, response, wait: float) -> None:
        """The source asks for more waiting than the run may spend: stop the run, failed."""
        reason = (
            f"the source asked to wait {self.waited + wait:.0f} s in all (Retry-After, last {response.status} "
            f"for {wait:.0f} s), more than this run's budget of {self.budget:.0f} s"
        )
        stats = self.crawler.stats
        stats.inc_value("aggregator/errors/retry_after_budget")
        stats.set_value("aggregator/stop_reason", reason)
        self.crawler.spider.logger.error("Rate limited: %s; the crawl stops now, nothing marked removed.", reason)
        self.stop_waiting()
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="retry_after_budget"))

    async def _sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        timer = loop.call_later(seconds, lambda: waiter.done() or waiter.set_result(None))
        self.waiters.add(waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self.waiters.discard(waiter)


class OffsiteRedirect(IgnoreRequest):
    """A redirect to another host than the request's: refused."""


class OffsiteRedirectMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        if response.status not in REDIRECT_STATUSES or b"Location" not in response.headers:
            return response
        target = urljoin(request.url, response.headers[b"Location"].decode("latin-1"))
        if urlsplit(target).hostname == urlsplit(request.url).hostname:
            return response
        self.crawler.stats.inc_value("aggregator/errors/offsite_redirect")
        raise OffsiteRedirect(f"{request.url} redirects to another host ({target}); refused")


class RobotsCrawlDelayMiddleware:
    """robots.txt's ``Crawl-delay`` for our user agent, kept as the least delay of that site's
    download slot. Scrapy's robots.txt middleware obeys Allow/Disallow but not Crawl-delay, and
    AutoThrottle would lower a slot's delay below it: the delay is applied again after every
    response of the site (``aggregator/politeness/crawl_delay`` records the seconds)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.delays: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        if urlsplit(request.url).path == "/robots.txt" or request.url.endswith("/robots.txt"):
            delay = self._crawl_delay(response)
            if delay:
                self.delays[key] = delay
                self.crawler.stats.set_value("aggregator/politeness/crawl_delay", delay)
        if key in self.delays:
            slot = downloader.slots.get(key)
            if slot is not None:
                # a minimum, not an average: no random shortening (Scrapy's default varies the
                # delay between 0.5 and 1.5 times)
                slot.randomize_delay = False
                slot.delay = max(slot.delay, self.delays[key])
        return response

    def _crawl_delay(self, response) -> float | None:
        if response.status != 200:
            return None
        from protego import Protego

        try:
            rules = Protego.parse(response.body.decode("utf-8", "replace"))
        except Exception:  # an unreadable robots.txt gives no delay; the robots middleware reports it
            return None
        user_agent = self.crawler.settings.get("USER_AGENT", "*")
        delay = rules.crawl_delay(user_agent)
        return float(delay) if delay else None


class SitemapLastmodPolicy(RFC2616Policy):
    """The page cache's rule (``HTTPCACHE_POLICY``) for provider sites: a page is read from the
    stored copy without a request when its sitemap ``lastmod`` (request meta
    ``sitemap_lastmod``) is not later than the moment the copy was fetched; every other cached
    address is asked for again with If-Modified-Since / If-None-Match, and a 304 (or a server
    error, unless the copy said must-revalidate) reads the stored copy. Every successful page
    is stored, with or without validators, so that lastmod alone can spare the next request."""

    def should_cache_response(self, response, request) -> bool:
        return response.status == 200 and b"no-store" not in self._parse_cachecontrol(response)

    def is_cached_response_fresh(self, cachedresponse, request) -> bool:
        lastmod = moment(request.meta.get("sitemap_lastmod"))
        fetched = moment(cachedresponse.headers.get(b"Date"))
        if lastmod and fetched and lastmod <= fetched:
            return True
        self._set_conditional_validators(request, cachedresponse)
        return False
