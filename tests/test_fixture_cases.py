"""The generic fixture test: every tests/fixtures/<spider>/<case>/ holds recorded responses,
the spider arguments (case.json) and the expected items and counters, reviewed by hand.
Refresh with `python -m tests.harness --refresh <case folder>` after an intended change."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from tests.harness import comparable, load_case, run_case

CASES = sorted(p.parent for p in FIXTURES.glob("*/*/case.json"))


def test_there_are_cases_for_every_spider():
    from tests.harness import project_settings  # noqa: F401  (imports the project settings)
    from aggregator.crawl import spider_names

    with_cases = {case.parent.name for case in CASES}
    assert set(spider_names()) <= with_cases


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_case(case):
    expected = load_case(case)
    run = run_case(case)
    assert [comparable(c) for c in run.courses] == expected["expected_items"]
    assert run.aggregator_stats() == expected["expected_stats"]
