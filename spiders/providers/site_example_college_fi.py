"""The worked example of an HTML provider site (README, "Add a source"): a vocational college
that lists its short courses on paged listing pages, with the facts of each implementation in a
"Label: value" block. Its pages are written fixtures (tests/fixtures/site_example_college_fi);
www.college.example is not a real site, so this file is never enabled."""

from spiders.base.course_pages import HtmlCourseSpider


class ExampleCollegeSpider(HtmlCourseSpider):
    name = "site_example_college_fi"
    source_title = "Esimerkkiopisto (worked example): short courses"
    source_url = "https://www.college.example/lyhytkoulutukset"
    source_licence = "example only; a real site's file states its terms here"
    country = "FI"
    site_url = "https://www.college.example"
    provider_name = "Esimerkkiopisto"
    municipality_code = "564"  # Oulu

    sitemap_paths = []  # no sitemap: the listing pages link to the courses
    start_paths = ["/lyhytkoulutukset"]
    course_link_css = "ul.courses a"
    next_page_css = "a[rel=next]"
    page_patterns = [r"^/lyhytkoulutukset/[^/?#]+$"]

    title_css = "main h1"
    description_css = "main .intro"
    details_css = "main .facts"  # facts shared by every implementation
    instance_css = "main .implementation"  # one listing each, with its own facts

    def extract_education_type_source(self, response, facts):
        # the breadcrumb names the kind of training ("Täydennyskoulutus", "Kurser för företag")
        return response.css("nav.breadcrumb li:nth-child(2)::text").get(default="").strip() or None
