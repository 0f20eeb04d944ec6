"""Bar charts drawn on the server as SVG, inline in the page: no script, no chart library, no
request to another host, and the same picture in every browser and in a saved page.

One kind of chart serves every planner's page: horizontal bars, one per row (a region, a start
term), each split into the level bands. The bars' lengths are percentages of the SVG's width,
so the chart fills a phone's 390 pixels or a laptop's column without scaling its text. A band
is told by its pattern as well as its colour (solid, stripes, dots, cross-hatch, outline), every
segment wide enough carries its number, every row its total, and each segment has a title
(what a screen reader and a hovering pointer get); the table beside the chart holds the same
numbers as text.
"""

from __future__ import annotations

from html import escape

ROW_HEIGHT = 42  # a label line and a bar
BAR_HEIGHT = 18
LABEL_GAP = 4
# a segment narrower than this share of the longest bar carries no number (it would not fit)
MIN_LABELLED_SHARE = 0.09

# band -> (fill colour, pattern drawn over it)
BAND_LOOKS = {
    "operators": ("#1f4e79", "solid"),
    "technicians": ("#2e86c1", "stripes"),
    "engineers": ("#f0b429", "dots"),
    "research": ("#8e44ad", "cross"),
    "no_level": ("#e8e8e8", "outline"),
}


def _pattern(chart_id: str, band: str) -> str:
    colour, kind = BAND_LOOKS[band]
    pid = f"{chart_id}-{band}"
    if kind == "stripes":
        mark = '<path d="M0,8 L8,0" stroke="#fff" stroke-width="2.5"/>'
    elif kind == "dots":
        mark = '<circle cx="4" cy="4" r="1.6" fill="#000"/>'
    elif kind == "cross":
        mark = '<path d="M0,0 L8,8 M8,0 L0,8" stroke="#fff" stroke-width="1.3"/>'
    else:
        mark = ""
    return (
        f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{colour}"/>{mark}</pattern>'
    )


def legend_swatch(band: str) -> str:
    """A small SVG of the band's look, for the legend beside a chart."""
    return (
        f'<svg class="swatch" width="22" height="14" aria-hidden="true"><defs>{_pattern("legend", band)}</defs>'
        f'<rect width="22" height="14" fill="url(#legend-{band})" stroke="#333"/></svg>'
    )


def stacked_bars(
    chart_id: str, title: str, rows: list[tuple[str, list[tuple[str, str, int]]]], unit: str = "offerings"
) -> str:
    """An SVG of one bar per row: ``rows`` is [(row label, [(band key, band label, count), ...])].
    Rows with nothing get a label saying 0 and no bar."""
    longest = max([sum(n for _, _, n in parts) for _, parts in rows] + [1])
    bands = sorted({band for _, parts in rows for band, _, _ in parts}, key=list(BAND_LOOKS).index)
    height = ROW_HEIGHT * len(rows) + 4
    out = [
        f'<svg class="bar-chart" id="{chart_id}" width="100%" height="{height}" role="img"'
        f' aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f"<defs>{''.join(_pattern(chart_id, band) for band in bands)}</defs>",
    ]
    for i, (label, parts) in enumerate(rows):
        top = i * ROW_HEIGHT
        total = sum(n for _, _, n in parts)
        out.append(
            f'<text class="row-label" x="0" y="{top + 14}">{escape(label)}'
            f'<tspan class="row-total" font-weight="bold"> {total:,}</tspan></text>'
        )
        start = 0.0
        for band, band_label, count in parts:
            if not count:
                continue
            share = count / longest
            width = 100.0 * share
            out.append(
                f'<rect class="bar band-{band}" x="{start:.3f}%" y="{top + 14 + LABEL_GAP}" width="{width:.3f}%"'
                f' height="{BAR_HEIGHT}" fill="url(#{chart_id}-{band})" stroke="#333" stroke-width="0.6">'
                f"<title>{escape(label)}: {escape(band_label)} {count:,} {unit}</title></rect>"
            )
            if share >= MIN_LABELLED_SHARE:
                # the number on a white badge in the segment's middle: readable on every pattern
                badge = 7 * len(f"{count:,}") + 6
                out.append(
                    f'<svg class="bar-number" x="{start + width / 2:.3f}%" y="{top + 14 + LABEL_GAP + 2}" '
                    f'overflow="visible">'
                    f'<rect x="{-badge / 2}" width="{badge}" height="{BAR_HEIGHT - 4}" rx="3" fill="#fff" '
                    f'stroke="#333" stroke-width="0.5"/>'
                    f'<text x="0" y="11" text-anchor="middle" font-size="11" fill="#000">{count:,}</text></svg>'
                )
            start += width
    out.append("</svg>")
    return "".join(out)
