"""The two ways a provider site's course pages are read.

- ``SchemaOrgSiteSpider``: the pages publish schema.org Course / CourseInstance /
  EducationEvent / EducationalOccupationalProgram data (JSON-LD, microdata or RDFa); every
  course instance is one listing (``spiders.extract.schemaorg``). Nothing to declare but the
  site.
- ``HtmlCourseSpider``: pages without structured data. The site's file declares CSS selectors:
  ``title_css``, ``description_css``, ``details_css`` (the block of "Label: value" facts, a
  definition list or a two-column table, read in Finnish, Swedish and English by
  ``spiders.extract.pages.key_values``) and, when one page lists several instances of a course,
  ``instance_css`` (each with its own facts block). Any Course field can also come from a method
  ``extract_<field>(self, response, facts)``, called after the selectors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scrapy.http import Response

from spiders.base.site import ProviderSiteSpider
from spiders.extract import pages, schemaorg
from spiders.extract.common import term_of, text_fields
from spiders.items import COURSE_FIELDS, Course


class SchemaOrgSiteSpider(ProviderSiteSpider):
    def page_listings(self, response: Response) -> Iterable[Course]:
        page = schemaorg.Page(url=self.public_url(response.url), languages=list(self.languages))
        return schemaorg.page_listings(response.text, page)


class HtmlCourseSpider(ProviderSiteSpider):
    title_css: str = "h1"
    description_css: str = ""
    details_css: str = ""
    instance_css: str = ""

    def _html(self, node: Any, css: str) -> str:
        return "\n".join(node.css(css).getall()) if css else ""

    def page_listings(self, response: Response) -> Iterable[Course]:
        page_url = self.public_url(response.url)
        lang = schemaorg.page_language(response.text) or self.languages[0]
        order = [lang] + [l for l in self.languages if l != lang]
        title = pages.text_of(self._html(response, self.title_css)) or None
        description = (
            self._html(response, self.description_css) or None
        )  # HTML: the clean pipeline makes paragraphs of it
        page_facts = pages.key_values(self._html(response, self.details_css)) if self.details_css else {}
        instances = response.css(self.instance_css) if self.instance_css else []
        blocks = [(index, pages.key_values(node.get())) for index, node in enumerate(instances, 1)] or [(0, {})]
        taken: set[str] = set()
        for index, own in blocks:
            facts = {**page_facts, **own}
            fields, extras = pages.listing_fields(facts)
            key = str(fields.get("start_date") or index) if index else ""
            while key in taken:
                key += "+"
            taken.add(key)
            course = Course(
                source_id=page_url + (f"#{key}" if key else ""),
                url=page_url,
                source_url=page_url,
                **text_fields({lang: title} if title else {}, {lang: description} if description else {}, order),
                **fields,
                extras=extras,
            )
            if course.start_date:
                course.start_term = term_of(course.start_date)
            for name in COURSE_FIELDS:
                method = getattr(self, f"extract_{name}", None)
                if method is not None:
                    setattr(course, name, method(response, facts))
            yield course
