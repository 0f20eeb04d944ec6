"""The generic fixture test: every tests/fixtures/<spider>/<case>/ holds recorded responses,
the spider arguments (case.json) and the expected items and counters, reviewed by hand.
Refresh with `python -m tests.harness --refresh <case folder>` after an intended change."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from tests.harness import comparable, load_case, run_case

CASES = sorted(p.parent for p in FIXTURES.glob("*/*/case.json"))


def test_there_are_cases_for_every_spider():
    """Every register and every enabled site has cases; so has each way of reading a site
    (schema.org, HTML selectors). A site file not yet reviewed is a configuration of one of
    those bases and gets its case (recorded pages) when it is reviewed and enabled."""
    from aggregator.crawl import spider_facts, spider_names
    from spiders.base.course_pages import HtmlCourseSpider, SchemaOrgSiteSpider
    from tests.harness import project_settings, spider_class  # noqa: F401  (imports the project settings)

    with_cases = {case.parent.name for case in CASES}
    for name in spider_names():
        facts = spider_facts(name)
        if facts["kind"] == "register" or facts["enabled"]:
            assert name in with_cases, name
    for base in (SchemaOrgSiteSpider, HtmlCourseSpider):
        assert any(issubclass(spider_class(name), base) for name in with_cases), base.__name__


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_case(case):
    expected = load_case(case)
    run = run_case(case)
    assert [comparable(c) for c in run.courses] == expected["expected_items"]
    assert run.aggregator_stats() == expected["expected_stats"]
