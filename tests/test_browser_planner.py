"""The planner's pages in the real browser (Debian's Chromium through Playwright, as
tests/test_browser.py drives it), at a laptop's 1,366 and a phone's 390 pixels: /supply, a
filtered /supply, a gap and /supply/compare for Västerbotten and Pohjois-Pohjanmaa, on a site
with listings in those regions (tests/planner_site.py). Each page answers 200 without console
errors, draws its charts (SVG bars of nonzero size), fits the window (wide tables scroll in
their own box), and a cell's number equals the number of listings its link shows. Screenshots
are saved as planner-<page>-<width>.png in the folder the run prints."""

from __future__ import annotations

import re

import pytest

from tests import test_browser as shared

pytest_plugins = ["tests.planner_site"]  # the planner_site fixture

browser = shared.browser
screenshots = shared.screenshots
new_page = shared.new_page

WIDTHS = (1366, 390)
PAGES = {
    "supply": "/supply",
    "supply-filtered": "/supply?topic=batteries_energy_storage&country=SE",
    "gap": None,  # found on the filtered page: the first zero cell's nearest offer
    "compare": "/supply/compare?a=SE331&b=FI1D9",
}


def opened(browser, base: str, path: str, width: int):
    page = new_page(browser, base, viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(base + path, wait_until="networkidle")
    assert response and response.status == 200, path
    return page, errors


def drawn_bars(page) -> int:
    """Bars the charts drew with a real size on the screen."""
    return sum(
        1
        for box in (bar.bounding_box() for bar in page.locator("svg.bar-chart rect.bar").all())
        if box and box["width"] > 0 and box["height"] > 0
    )


def count_shown(browser, base: str, url: str) -> int:
    """The number of listings Datasette's courses page says it shows ("N rows where ...")."""
    page = new_page(browser, base, viewport={"width": 1366, "height": 900})
    page.goto(url if url.startswith("http") else base + url, wait_until="networkidle")
    heading = page.locator("h3").first.inner_text() if page.locator("h3").count() else ""
    zero = page.locator("p.zero-results").count()
    page.close()
    if zero:
        return 0
    match = re.match(r"([\d,]+) rows?", heading)
    assert match, heading
    return int(match.group(1).replace(",", ""))


@pytest.mark.parametrize("width", WIDTHS)
def test_the_planners_pages_draw_their_charts_fit_the_window_and_count_what_they_link(
    browser, planner_site, screenshots, width
):
    base, _ = planner_site
    pages = dict(PAGES)
    checked_cells = 0
    for name in pages:
        if name == "gap":
            continue
        page, errors = opened(browser, base, pages[name], width)
        assert drawn_bars(page) >= 2, f"{name}: no chart drawn"
        # the chart's table beside it, as text
        assert page.locator("table").count() >= 1
        # nothing wider than the window but the tables' own scrolling boxes
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, name
        if name.startswith("supply"):
            cells = page.locator("table.supply-grid td.cell")
            assert cells.count() >= 5 * 21  # every Swedish region of the topic, zeros too
            link = page.locator("table.supply-grid td.cell a.count").filter(has_text=re.compile(r"^[1-9]")).first
            number = int(link.inner_text().replace(",", ""))
            assert count_shown(browser, base, link.get_attribute("href")) == number
            checked_cells += 1
            if name == "supply-filtered":
                # a gap of Västerbotten's where there is one, else the first on the page
                gaps = (
                    page.locator("table.supply-grid tr").filter(has_text="SE331").locator("td.cell.gap-none a.nearest")
                )
                gap = (gaps if gaps.count() else page.locator("table.supply-grid td.cell.gap-none a.nearest")).first
                pages["gap"] = gap.get_attribute("href")
                nearest_count = int(gap.inner_text().rsplit(" ", 1)[1].replace(",", ""))
        if name == "compare":
            headers = page.locator("table.supply-compare thead th").all_inner_texts()
            assert any("Västerbottens län" in h for h in headers) and any("Pohjois-Pohjanmaa" in h for h in headers)
            link = page.locator("table.supply-compare td.side-2 a.count").filter(has_text=re.compile(r"^[1-9]")).first
            assert count_shown(browser, base, link.get_attribute("href")) == int(link.inner_text().replace(",", ""))
            checked_cells += 1
        page.screenshot(path=str(screenshots / f"planner-{name}-{width}.png"), full_page=True)
        assert not errors, f"{name}: {errors}"
        page.close()
    # the gap's page: the nearest offer first, and its link shows that many listings
    page, errors = opened(browser, base, pages["gap"], width)
    first = page.locator("table.gap-neighbours tbody tr").first
    shown = first.locator("a.count")
    assert int(shown.inner_text()) == nearest_count
    assert count_shown(browser, base, shown.get_attribute("href")) == nearest_count
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    page.screenshot(path=str(screenshots / f"planner-gap-{width}.png"), full_page=True)
    assert not errors, errors
    page.close()
    assert checked_cells == 3
