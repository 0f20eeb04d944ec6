"""Oulu University of Applied Sciences (Oamk): university of applied sciences in North Ostrobothnia; open UAS and
continuing education in energy, automation and electrical engineering.

Not yet reviewed, so not crawled by the nightly job. Before setting ``enabled = True``: open the
site's robots.txt and terms, find its sitemap and the address pattern of its course pages (set
``sitemap_paths``, ``sitemap_follow`` and ``page_patterns``), crawl it once by hand
(``aggregator crawl site_oamk_fi``) and check the listings; if its pages carry no schema.org course
data, make this an ``HtmlCourseSpider`` with selectors (README, "Add a source")."""

from spiders.base.course_pages import SchemaOrgSiteSpider


class OamkSpider(SchemaOrgSiteSpider):
    name = "site_oamk_fi"
    source_title = "Oulu University of Applied Sciences (Oamk): courses on its web site"
    source_url = "https://www.oamk.fi"
    source_licence = "not yet reviewed"
    country = "FI"
    site_url = "https://www.oamk.fi"
    provider_name = "Oulu University of Applied Sciences (Oamk)"
    municipality_code = "564"  # Oulu
    sitemap_paths = ["/robots.txt"]  # its Sitemap: lines; the real sitemap goes here at review
    enabled = False
    reviewed = ""
