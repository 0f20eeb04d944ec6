"""Any provider site that publishes schema.org courses: every Course, CourseInstance,
EducationEvent and EducationalOccupationalProgram on the pages of its sitemap (or of the pages
its start URLs link to), one listing per course instance.

    aggregator crawl schemaorg_courses -a sitemap_url=https://www.example.fi/sitemap.xml \\
        [-a page_patterns='/koulutus/,/courses/'] [-a sitemap_follow=course] \\
        [-a provider='Example UAS' -a country=FI -a municipality_code=272]
    aggregator crawl schemaorg_courses -a start_urls=https://www.example.fi/courses -a course_link_css='a.course'

The arguments give facts the pages lack. A crawl of one site is partial for this spider
(other sites crawled under its name are not touched), so it never marks listings removed; a
site crawled every night gets its own file (``spiders/providers/site_*.py``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from spiders.base.course_pages import SchemaOrgSiteSpider
from spiders.base.source import split_argument


class SchemaOrgCoursesSpider(SchemaOrgSiteSpider):
    name = "schemaorg_courses"
    enabled = False  # needs a site: crawled on request, never by the nightly job as such
    source_title = "Provider web sites publishing schema.org courses (crawled on request)"
    source_url = "https://schema.org/Course"
    source_licence = "as stated by each provider's site"

    def __init__(
        self,
        *args: Any,
        sitemap_url: str | None = None,
        start_urls: str | None = None,
        provider: str | None = None,
        country: str | None = None,
        municipality_code: str | None = None,
        page_patterns: str | None = None,
        sitemap_follow: str | None = None,
        course_link_css: str | None = None,
        site_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        starts = split_argument(start_urls)
        first = sitemap_url or (starts[0] if starts else None)
        if not first or not first.startswith(("http://", "https://")):
            raise ValueError(
                "schemaorg_courses needs -a sitemap_url=https://... (or -a start_urls=...) of the site to crawl"
            )
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(first))
        kwargs.setdefault("base_url", origin)
        self.site_url = site_url or kwargs["base_url"]
        self.sitemap_paths = [sitemap_url] if sitemap_url else []
        self.start_paths = starts
        self.course_link_css = course_link_css or "a"
        self.page_patterns = split_argument(page_patterns)
        self.sitemap_follow = split_argument(sitemap_follow)
        self.provider_name = provider
        self.municipality_code = municipality_code
        if country and country.upper() not in ("FI", "SE"):
            raise ValueError(f"schemaorg_courses: country must be FI or SE, got {country!r}")
        self.country = (country or "").upper()
        super().__init__(*args, **kwargs)
        self.is_partial = True
