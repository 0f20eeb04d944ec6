"""Centria University of Applied Sciences: university of applied sciences in the Kokkola battery cluster (battery
chemistry, chemical engineering); open UAS and continuing education.

Not yet reviewed, so not crawled by the nightly job. Before setting ``enabled = True``: open the
site's robots.txt and terms, find its sitemap and the address pattern of its course pages (set
``sitemap_paths``, ``sitemap_follow`` and ``page_patterns``), crawl it once by hand
(``aggregator crawl site_centria_fi``) and check the listings; if its pages carry no schema.org course
data, make this an ``HtmlCourseSpider`` with selectors (README, "Add a source")."""

from spiders.base.course_pages import SchemaOrgSiteSpider


class CentriaSpider(SchemaOrgSiteSpider):
    name = "site_centria_fi"
    source_title = "Centria University of Applied Sciences: courses on its web site"
    source_url = "https://web.centria.fi"
    source_licence = "not yet reviewed"
    country = "FI"
    site_url = "https://web.centria.fi"
    provider_name = "Centria University of Applied Sciences"
    municipality_code = "272"  # Kokkola
    sitemap_paths = ["/robots.txt"]  # its Sitemap: lines; the real sitemap goes here at review
    enabled = False
    reviewed = ""
