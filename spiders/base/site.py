"""A base for spiders that read a provider's own web site.

A site is declared, not programmed (``spiders/providers/site_*.py``):

- ``site_url``: the site's real root, e.g. ``https://www.centria.fi``; ``base_url`` (a spider
  argument) replaces it for fetching, so a recorded copy on 127.0.0.1 is crawled with the
  same file. Listings keep the real address as ``url``.
- ``sitemap_paths``: sitemaps (or ``/robots.txt``, whose ``Sitemap:`` lines are followed);
  ``sitemap_follow``: regular expressions a nested sitemap's address must match to be read;
  ``page_patterns``: those a page's address must match to be a course page.
- ``start_paths`` and ``course_link_css``: listing pages whose links lead to course pages, for
  sites without a sitemap (``next_page_css``: the listing's next page).
- ``provider_name``, ``country``, ``municipality_code``: facts the pages may lack.
- ``enabled``: False until someone has looked at the site's pages, robots.txt and terms; only
  enabled sites are crawled by the nightly job. ``reviewed`` says who looked, when, and what.

Politeness, the same for every site: robots.txt obeyed (and its Crawl-delay, through
``spiders.middlewares.RobotsCrawlDelayMiddleware``), AutoThrottle, at most two requests at once
per site, and a page cache (``spiders.middlewares.SitemapLastmodPolicy``): a page whose sitemap
``lastmod`` is not later than the stored copy is not fetched again, any other is asked for with
If-Modified-Since / If-None-Match and a 304 reads the stored copy.

Scrapy's ``SitemapSpider`` makes its page requests itself, without an errback or request meta;
this base needs both (failures counted per kind, ``lastmod`` for the cache), so it reads the
sitemaps with Scrapy's own sitemap parser (``scrapy.utils.sitemap``) instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from spiders import settings as project_settings
from spiders.base.source import SourceSpider
from spiders.extract.common import moment
from spiders.items import Course
from store.files import beside_db

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps protocol's own limit per file


class ProviderSiteSpider(SourceSpider):
    source_kind = "provider_site"
    enabled = False
    reviewed = ""  # "2026-12-01, J. Doe: robots.txt allows /koulutus/; terms allow reuse of course facts"
    site_url: str = ""
    sitemap_paths: list[str] = ["/sitemap.xml"]
    sitemap_follow: list[str] = []  # nested sitemaps to read: their address matches one of these (all when empty)
    page_patterns: list[str] = []  # course pages: their address matches one of these (all when empty)
    start_paths: list[str] = []
    course_link_css: str = ""
    next_page_css: str = ""
    provider_name: str | None = None
    municipality_code: str | None = None
    languages: list[str] = ["fi", "sv", "en"]

    custom_settings = {
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "AUTOTHROTTLE_ENABLED": True,
        "ROBOTSTXT_OBEY": True,
        "HTTPCACHE_ENABLED": True,
        "HTTPCACHE_POLICY": "spiders.middlewares.SitemapLastmodPolicy",
        "HTTPCACHE_IGNORE_HTTP_CODES": [*range(300, 304), *range(305, 600)],
        "HTTPCACHE_EXPIRATION_SECS": 0,
        "DOWNLOADER_MIDDLEWARES": {
            **project_settings.DOWNLOADER_MIDDLEWARES,
            "spiders.middlewares.RobotsCrawlDelayMiddleware": 560,
        },
    }

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        # the page cache lives beside the database it serves (one per database, as the logs)
        settings.set(
            "HTTPCACHE_DIR",
            str(beside_db(settings.get("AGGREGATOR_DB") or "aggregator.db", "httpcache")),
            priority="spider",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not getattr(self, "default_base_url", "") and self.site_url:
            self.default_base_url = self.site_url
        super().__init__(*args, **kwargs)
        self.site_root = (self.site_url or self.base_url).rstrip("/")
        # requests never leave the site being crawled (a replay copy never reaches the real one)
        self.allowed_domains = [urlsplit(self.base_url).hostname]
        self._follow = [re.compile(p) for p in self.sitemap_follow]
        self._pages = [re.compile(p) for p in self.page_patterns]
        self.pages_seen: set[str] = set()

    # --- addresses -----------------------------------------------------------------------------
    def fetch_url(self, path_or_url: str) -> str:
        """Where to fetch a site path (or a real absolute address) from: under ``base_url``."""
        if path_or_url == self.site_root or path_or_url.startswith(self.site_root + "/"):
            path_or_url = path_or_url[len(self.site_root) :] or "/"
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.base_url))
        if path_or_url.startswith(origin + "/") and not path_or_url.startswith(self.base_url + "/"):
            # a root-relative link of a copy served under a path (a replay server's host
            # folder) resolves to the server's root: it is a path of the site
            path_or_url = path_or_url[len(origin) :]
        if re.match(r"https?://", path_or_url):
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    def public_url(self, url: str) -> str:
        """The page's real address: a replayed copy's address mapped back to ``site_url``."""
        if self.site_url and url.startswith(self.base_url) and self.base_url != self.site_root:
            return self.site_root + url[len(self.base_url) :]
        return url

    def on_site(self, url: str) -> bool:
        """Whether an address is on the site being crawled (a link elsewhere is never followed:
        counted as ``offsite_links``)."""
        if url.startswith(self.base_url + "/") or url == self.base_url:
            return True
        self.count("offsite_links")
        return False

    def is_course_page(self, url: str) -> bool:
        path = url[len(self.base_url) :] if url.startswith(self.base_url) else urlsplit(url).path
        return not self._pages or any(p.search(path) for p in self._pages)

    # --- discovery -----------------------------------------------------------------------------
    def discovery_requests(self) -> Iterable[scrapy.Request]:
        for path in self.sitemap_paths:
            yield scrapy.Request(self.fetch_url(path), callback=self.parse_sitemap, errback=self.on_request_error)
        for path in self.start_paths:
            yield self.listing_request(self.fetch_url(path))

    def listing_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_listing, errback=self.on_request_error)

    def page_request(self, url: str, lastmod: str | None = None) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_course_page,
            errback=self.on_request_error,
            meta={"sitemap_lastmod": lastmod} if lastmod else {},
        )

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request]:
        """Sitemaps, sitemap indexes and robots.txt: nested sitemaps that match
        ``sitemap_follow`` are read; pages that match ``page_patterns`` are requested with their
        ``lastmod``. An unreadable sitemap is a counted error."""
        if response.url.endswith("/robots.txt"):
            for url in sitemap_urls_from_robots(response.body, base_url=response.url):
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_request_error)
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
            except (OSError, ValueError) as exc:
                self.count("errors/invalid_sitemap")
                self.logger.error(
                    "Cannot unpack the sitemap %s (%s); its pages are not read this time.", response.url, exc
                )
                return
        try:
            sitemap = Sitemap(body)
        except Exception as exc:  # lxml's errors for any malformed document
            sitemap, problem = None, f"not valid XML ({exc})"
        else:
            # lxml recovers from almost anything: an HTML error page parses too, as an "html" root
            problem = (
                None if sitemap.type in ("urlset", "sitemapindex") else f"not a sitemap (its root is <{sitemap.type}>)"
            )
        if problem:
            self.count("errors/invalid_sitemap")
            self.logger.error(
                "%s is %s; its pages are not read this time, and the run marks nothing removed.", response.url, problem
            )
            return
        self.count("sitemaps")
        for entry in sitemap:
            loc = (entry.get("loc") or "").strip()
            if not loc:
                continue
            url = self.fetch_url(urljoin(response.url, loc))
            if not self.on_site(url):
                continue
            if sitemap.type == "sitemapindex":
                if not self._follow or any(p.search(url) for p in self._follow):
                    yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_request_error)
            elif self.is_course_page(url) and url not in self.pages_seen:
                self.pages_seen.add(url)
                yield self.page_request(url, entry.get("lastmod"))

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        """A listing page: its links to course pages, and its next page."""
        for href in response.css(self.course_link_css + "::attr(href)").getall() if self.course_link_css else []:
            url = self.fetch_url(response.urljoin(href.strip()))
            if (
                url.startswith(("http://", "https://"))
                and self.on_site(url)
                and self.is_course_page(url)
                and url not in self.pages_seen
            ):
                self.pages_seen.add(url)
                yield self.page_request(url)
        following = response.css(self.next_page_css + "::attr(href)").get() if self.next_page_css else None
        if following and self.on_site(self.fetch_url(response.urljoin(following.strip()))):
            yield self.listing_request(self.fetch_url(response.urljoin(following.strip())))

    # --- pages ---------------------------------------------------------------------------------
    def parse_course_page(self, response: Response) -> Iterable[Any]:
        if not hasattr(response, "text"):
            self.count("errors/not_html")
            self.logger.error(
                "%s is not a text page (%s); skipped.", response.url, response.headers.get("Content-Type")
            )
            return
        self.count("pages")
        found = 0
        for item in self.extracted(lambda: list(self.page_listings(response)), f"page {response.url}"):
            for listing in item if isinstance(item, list) else [item]:
                if isinstance(listing, Course):
                    found += 1
                    self._stamp(listing, response)
                yield listing
        if not found:
            self.count("pages_without_courses")
            self.logger.info("No course found on %s", response.url)

    def _stamp(self, listing: Course, response: Response) -> None:
        listing.country = listing.country or self.country or None
        listing.provider_name = listing.provider_name or self.provider_name
        if not (listing.municipality_code or listing.municipality):
            # the site's own municipality, for pages that name no place (a place the page names
            # wins: a college in Oulu also teaches in Raahe)
            listing.municipality_code = self.municipality_code
        lastmod = response.meta.get("sitemap_lastmod")  # the site's own word; a server's file time is not
        if lastmod and not listing.source_modified_at:
            when = moment(lastmod)
            listing.source_modified_at = when.astimezone(UTC).isoformat(timespec="seconds") if when else None

    def page_listings(self, response: Response) -> Iterable[Course]:
        raise NotImplementedError(f"{type(self).__name__} must define page_listings(response)")
