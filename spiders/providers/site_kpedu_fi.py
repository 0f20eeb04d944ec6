"""Keski-Pohjanmaan koulutusyhtymä (Kpedu): vocational college of Central Ostrobothnia; short courses for the battery
and process industry.

Not yet reviewed, so not crawled by the nightly job. Before setting ``enabled = True``: open the
site's robots.txt and terms, find its sitemap and the address pattern of its course pages (set
``sitemap_paths``, ``sitemap_follow`` and ``page_patterns``), crawl it once by hand
(``aggregator crawl site_kpedu_fi``) and check the listings; if its pages carry no schema.org course
data, make this an ``HtmlCourseSpider`` with selectors (README, "Add a source")."""

from spiders.base.course_pages import SchemaOrgSiteSpider


class KpeduSpider(SchemaOrgSiteSpider):
    name = "site_kpedu_fi"
    source_title = "Keski-Pohjanmaan koulutusyhtymä (Kpedu): courses on its web site"
    source_url = "https://www.kpedu.fi"
    source_licence = "not yet reviewed"
    country = "FI"
    site_url = "https://www.kpedu.fi"
    provider_name = "Keski-Pohjanmaan koulutusyhtymä (Kpedu)"
    municipality_code = "272"  # Kokkola
    sitemap_paths = ["/robots.txt"]  # its Sitemap: lines; the real sitemap goes here at review
    enabled = False
    reviewed = ""
