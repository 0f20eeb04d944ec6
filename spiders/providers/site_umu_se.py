"""Umeå universitet: university in Västerbotten; freestanding courses and contract education.

Not yet reviewed, so not crawled by the nightly job. Before setting ``enabled = True``: open the
site's robots.txt and terms, find its sitemap and the address pattern of its course pages (set
``sitemap_paths``, ``sitemap_follow`` and ``page_patterns``), crawl it once by hand
(``aggregator crawl site_umu_se``) and check the listings; if its pages carry no schema.org course
data, make this an ``HtmlCourseSpider`` with selectors (README, "Add a source")."""

from spiders.base.course_pages import SchemaOrgSiteSpider


class UmuSpider(SchemaOrgSiteSpider):
    name = "site_umu_se"
    source_title = "Umeå universitet: courses on its web site"
    source_url = "https://www.umu.se"
    source_licence = "not yet reviewed"
    country = "SE"
    site_url = "https://www.umu.se"
    provider_name = "Umeå universitet"
    municipality_code = "2480"  # Umeå
    sitemap_paths = ["/robots.txt"]  # its Sitemap: lines; the real sitemap goes here at review
    enabled = False
    reviewed = ""
