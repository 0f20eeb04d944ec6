"""Downloader middlewares that keep a crawl bounded and polite when a source misbehaves.

- ``RetryAfterMiddleware``: Scrapy's retry of 429/503 (and the other retry codes), but a
  ``Retry-After`` the server sends is honoured: the retry waits that long and the host's
  download slot slows down to it, instead of retrying at once. A wait longer than
  ``AGGREGATOR_MAX_RETRY_AFTER`` seconds is not waited for: the request fails and is counted.
- ``OffsiteRedirectMiddleware``: a redirect to another host is refused and counted
  (``aggregator/errors/offsite_redirect``): a register's document never comes from elsewhere.
"""

from __future__ import annotations

import asyncio
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.response import response_status_message

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
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("AGGREGATOR_MAX_RETRY_AFTER", 600)

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        stats = self.crawler.stats
        if wait is not None:
            if wait > self.max_wait:
                stats.inc_value("aggregator/errors/retry_after_too_long")
                self.crawler.spider.logger.error("%s asks to wait %.0f s (Retry-After) before %s; more than %.0f s, "
                                                 "so the request fails.", response.status, wait, request.url, self.max_wait)
                return response
            stats.inc_value("aggregator/retry_after_waits")
            self._slow_down(request, wait)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if wait:
            await asyncio.sleep(wait)  # this request waits; the slot's delay spaces the others
        return retry

    def _slow_down(self, request, wait: float) -> None:
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            slot.delay = max(slot.delay, wait)


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
