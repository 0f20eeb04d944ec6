"""Campus Skellefteå: Skellefteå's study centre for higher vocational (YH) and university courses given in Skellefteå.

Not yet reviewed, so not crawled by the nightly job. Before setting ``enabled = True``: open the
site's robots.txt and terms, find its sitemap and the address pattern of its course pages (set
``sitemap_paths``, ``sitemap_follow`` and ``page_patterns``), crawl it once by hand
(``aggregator crawl site_campusskelleftea_se``) and check the listings; if its pages carry no schema.org course
data, make this an ``HtmlCourseSpider`` with selectors (README, "Add a source")."""

from spiders.base.course_pages import SchemaOrgSiteSpider


class CampusSkellefteaSpider(SchemaOrgSiteSpider):
    name = "site_campusskelleftea_se"
    source_title = "Campus Skellefteå: courses on its web site"
    source_url = "https://www.campusskelleftea.se"
    source_licence = "not yet reviewed"
    country = "SE"
    site_url = "https://www.campusskelleftea.se"
    provider_name = "Campus Skellefteå"
    municipality_code = "2482"  # Skellefteå
    sitemap_paths = ["/robots.txt"]  # its Sitemap: lines; the real sitemap goes here at review
    enabled = False
    reviewed = ""
