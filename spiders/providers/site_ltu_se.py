"""Luleå tekniska universitet: university of technology in Norrbotten; courses in battery technology, mining and process
metallurgy.

Not yet reviewed, so not crawled by the nightly job. Before setting ``enabled = True``: open the
site's robots.txt and terms, find its sitemap and the address pattern of its course pages (set
``sitemap_paths``, ``sitemap_follow`` and ``page_patterns``), crawl it once by hand
(``aggregator crawl site_ltu_se``) and check the listings; if its pages carry no schema.org course
data, make this an ``HtmlCourseSpider`` with selectors (README, "Add a source")."""

from spiders.base.course_pages import SchemaOrgSiteSpider


class LtuSpider(SchemaOrgSiteSpider):
    name = "site_ltu_se"
    source_title = "Luleå tekniska universitet: courses on its web site"
    source_url = "https://www.ltu.se"
    source_licence = "not yet reviewed"
    country = "SE"
    site_url = "https://www.ltu.se"
    provider_name = "Luleå tekniska universitet"
    municipality_code = "2580"  # Luleå
    sitemap_paths = ["/robots.txt"]  # its Sitemap: lines; the real sitemap goes here at review
    enabled = False
    reviewed = ""
