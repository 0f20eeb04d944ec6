"""South-Eastern Finland University of Applied Sciences (Xamk): university of applied sciences of South-Eastern Finland
(Kotka, Kouvola, Mikkeli, Savonlinna); open UAS courses.

Not yet reviewed, so not crawled by the nightly job. Before setting ``enabled = True``: open the
site's robots.txt and terms, find its sitemap and the address pattern of its course pages (set
``sitemap_paths``, ``sitemap_follow`` and ``page_patterns``), crawl it once by hand
(``aggregator crawl site_xamk_fi``) and check the listings; if its pages carry no schema.org course
data, make this an ``HtmlCourseSpider`` with selectors (README, "Add a source")."""

from spiders.base.course_pages import SchemaOrgSiteSpider


class XamkSpider(SchemaOrgSiteSpider):
    name = "site_xamk_fi"
    source_title = "South-Eastern Finland University of Applied Sciences (Xamk): courses on its web site"
    source_url = "https://www.xamk.fi"
    source_licence = "not yet reviewed"
    country = "FI"
    site_url = "https://www.xamk.fi"
    provider_name = "South-Eastern Finland University of Applied Sciences (Xamk)"
    municipality_code = "285"  # Kotka
    sitemap_paths = ["/robots.txt"]  # its Sitemap: lines; the real sitemap goes here at review
    enabled = False
    reviewed = ""
