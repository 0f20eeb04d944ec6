"""LUT University: university of technology in South Karelia (South-Eastern Finland); energy systems and battery
research, continuous learning.

Not yet reviewed, so not crawled by the nightly job. Before setting ``enabled = True``: open the
site's robots.txt and terms, find its sitemap and the address pattern of its course pages (set
``sitemap_paths``, ``sitemap_follow`` and ``page_patterns``), crawl it once by hand
(``aggregator crawl site_lut_fi``) and check the listings; if its pages carry no schema.org course
data, make this an ``HtmlCourseSpider`` with selectors (README, "Add a source")."""

from spiders.base.course_pages import SchemaOrgSiteSpider


class LutSpider(SchemaOrgSiteSpider):
    name = "site_lut_fi"
    source_title = "LUT University: courses on its web site"
    source_url = "https://www.lut.fi"
    source_licence = "not yet reviewed"
    country = "FI"
    site_url = "https://www.lut.fi"
    provider_name = "LUT University"
    municipality_code = "405"  # Lappeenranta
    sitemap_paths = ["/robots.txt"]  # its Sitemap: lines; the real sitemap goes here at review
    enabled = False
    reviewed = ""
