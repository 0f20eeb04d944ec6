"""The planner's workbench: the offer per topic, region and level band with its gaps
(``/supply``), one gap with the nearest offer around it (``/supply/gap``), and two regions side
by side (``/supply/compare``); each also as ``.json`` and as an Excel workbook (``.xlsx``).

The numbers are read from the small tables ``aggregator.supply_counts`` writes once per nightly
job and per published snapshot (held in memory per snapshot file), so a visit never groups the
listings. Every count links to the courses table filtered to exactly its listings (topic,
NUTS-3 region, EQF range, not removed), which shows the same number. Registered through
``register_routes``; the pages are templates of the plugin (``supply*.html``).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from urllib.parse import quote, urlencode

from datasette.utils.asgi import Response

from aggregator.labels import COUNTRIES, LANGUAGES, swedish_county_in_english
from aggregator.supply_counts import (
    ANY_TOPIC,
    BAND_BY_KEY,
    BANDS,
    CELLS_TABLE,
    LANGUAGES_TABLE,
    REGIONS_TABLE,
    TERMS_TABLE,
    Region,
    distance_km,
)
from aggregator.supply_counts import regions as official_regions
from aggregator.web import DISTRIBUTION
from aggregator.web.charts import BAND_LOOKS, legend_swatch, stacked_bars
from pipelines.topics import TOPICS

TOPIC_LABELS = {key: str(spec["label"]) for key, spec in TOPICS.items()}
# a cell with offerings is "far below" when the nearest region across the border with the same
# topic and band offers at least this many times as many (and at least FAR_BELOW_MIN_MORE more)
FAR_BELOW_FACTOR = 4
FAR_BELOW_MIN_MORE = 4
GAP_NEIGHBOURS = 6  # regions listed on a gap's page
COMING_TERMS = 4  # start terms in the chart; the comparison counts the next two
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Mistake(Exception):
    """A visitor's mistake in the address: answered 400 with one line saying what to do."""


@dataclass
class Supply:
    regions: list[Region]
    cells: dict[tuple[str, str, str], tuple[int, int | None, int]] = field(default_factory=dict)
    unplaced: dict[tuple[str, str, str], int] = field(default_factory=dict)
    terms: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)
    languages: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)
    counted: bool = True  # False: the database has no supply tables yet

    def __post_init__(self) -> None:
        self.by_code = {r.nuts3: r for r in self.regions}
        self.neighbours = {
            r.nuts3: sorted((o for o in self.regions if o.nuts3 != r.nuts3), key=lambda o, r=r: distance_km(r, o))
            for r in self.regions
        }

    def offerings(self, topic: str, nuts3: str, band: str) -> int:
        return self.cells.get((topic, nuts3, band), (0, None, 0))[0]


# per snapshot file (path, size, modification time): its supply tables, read once
_cache: dict[tuple, Supply] = {}


def _database(datasette):
    for name, db in datasette.databases.items():
        if name != "_internal" and not db.is_memory:
            return name, db
    raise Mistake("no database is served")


async def load_supply(db) -> Supply:
    key = None
    if not db.is_mutable and db.path:
        stat = os.stat(db.path)
        key = (db.path, stat.st_size, stat.st_mtime_ns)
        if key in _cache:
            return _cache[key]
    if not await db.table_exists(CELLS_TABLE):
        return Supply(list(official_regions()), counted=False)
    rows = await db.execute(
        f"select nuts3, country, region, label, latitude, longitude from [{REGIONS_TABLE}] order by position"
    )
    supply = Supply([Region(*row) for row in rows.rows])
    for topic, country, nuts3, band, n, seats, with_seats in (await db.execute(f"select * from [{CELLS_TABLE}]")).rows:
        if nuts3 is None:
            supply.unplaced[(topic, country, band)] = n
        else:
            supply.cells[(topic, nuts3, band)] = (n, seats, with_seats)
    for topic, _, nuts3, band, term, n in (await db.execute(f"select * from [{TERMS_TABLE}]")).rows:
        if nuts3 is not None:
            supply.terms.setdefault((topic, nuts3, band), {})[term] = n
    for topic, _, nuts3, band, language, n in (await db.execute(f"select * from [{LANGUAGES_TABLE}]")).rows:
        if nuts3 is not None:
            supply.languages.setdefault((topic, nuts3, band), {})[language] = n
    if key is not None:
        _cache.clear()  # one snapshot is served at a time
        _cache[key] = supply
    return supply


def coming_terms(today: dt.date | None = None, count: int = COMING_TERMS) -> list[str]:
    """The next ``count`` start terms to begin after today: on 2 December 2026, 2027-spring,
    2027-autumn, ... (a term that has begun is not coming)."""
    today = today or dt.date.today()
    year, autumn = (today.year, True) if today.month <= 6 else (today.year + 1, False)
    out = []
    for _ in range(count):
        out.append(f"{year}-{'autumn' if autumn else 'spring'}")
        year, autumn = (year + 1, False) if autumn else (year, True)
    return out


def term_label(term: str) -> str:
    year, season = term.split("-")
    return f"{season.capitalize()} {year}"


class Site:
    """Addresses of one request's pages: absolute ones for the downloads (a link in a workbook
    must work on its own), paths on the site's pages. Built as plain strings once per request:
    Datasette's URL helpers cost 0.3 ms a call, and the whole grid has 1,800 cells."""

    def __init__(self, datasette, request, database: str, *, absolute: bool) -> None:
        self.datasette, self.request, self.database = datasette, request, database
        self.root = datasette.absolute_url(request, "/").rstrip("/") if absolute else ""
        prefix = str(datasette.urls.path("/")).rstrip("/")
        self.courses_base = f"{self.root}{datasette.urls.table(database, 'courses')}"
        self.gap_base = f"{self.root}{prefix}/supply/gap"
        self.band_args = {b.key: "&".join(f"{k}={v}" for k, v in b.filter_args) for b in BANDS}

    def absolute(self, path: str) -> str:
        return self.datasette.absolute_url(self.request, self.datasette.urls.path(path))

    def courses(self, topic: str, nuts3: str, band: str) -> str:
        return (
            f"{self.courses_base}?topics__arraycontains={_quoted(topic)}&nuts3={_quoted(nuts3)}"
            f"&{self.band_args[band]}&removed_at__isnull=1"
        )

    def gap(self, topic: str, nuts3: str, band: str) -> str:
        return f"{self.gap_base}?topic={_quoted(topic)}&region={_quoted(nuts3)}&band={band}"


@lru_cache(maxsize=1024)
def _quoted(value: str) -> str:
    return quote(value, safe="")


def _choice(request, name: str, allowed, what: str) -> str | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    if value not in allowed:
        raise Mistake(f"unknown {what} {value!r}: pick one of {', '.join(sorted(allowed))}")
    return value


def _band_json(band) -> dict:
    return {
        "band": band.key,
        "label": band.label,
        "eqf_min": band.eqf_min,
        "eqf_max": band.eqf_max,
        "eqf": band.eqf_range,
        "means": band.means,
    }


def nearest(supply: Supply, topic: str, region: Region, band: str, *, other_country: bool = False):
    """The nearest region with offerings of the topic and band (optionally only across the
    border), with its distance; None when there is none."""
    for other in supply.neighbours[region.nuts3]:
        if other_country and other.country == region.country:
            continue
        if supply.offerings(topic, other.nuts3, band):
            return other, distance_km(region, other)
    return None


def cell(supply: Supply, site: Site, topic: str, region: Region, band: str) -> dict:
    """One cell of the grid as a row of the JSON: counts, seats, link and, for a gap, where the
    nearest offering is."""
    n, seats, with_seats = supply.cells.get((topic, region.nuts3, band), (0, None, 0))
    b = BAND_BY_KEY[band]
    row = {
        "topic": topic,
        "topic_label": TOPIC_LABELS.get(topic, topic),
        "country": region.country,
        "nuts3": region.nuts3,
        "region": region.name,
        "region_label": region.label,
        "band": band,
        "band_label": b.label,
        "eqf_min": b.eqf_min,
        "eqf_max": b.eqf_max,
        "offerings": n,
        "seats": seats if with_seats else None,
        "offerings_with_seats": with_seats,
        "seats_share": round(with_seats / n, 3) if n else None,
        "url": site.courses(topic, region.nuts3, band),
        "gap": None,
        "nearest": None,
    }
    found = None
    if n == 0:
        found = nearest(supply, topic, region, band)
        row["gap"] = "none"
    else:
        across = nearest(supply, topic, region, band, other_country=True)
        if across:
            m = supply.offerings(topic, across[0].nuts3, band)
            if m >= FAR_BELOW_FACTOR * n and m - n >= FAR_BELOW_MIN_MORE:
                found, row["gap"] = across, "far_below"
    if found:
        other, km = found
        row["nearest"] = {
            "nuts3": other.nuts3,
            "region": other.name,
            "region_label": other.label,
            "country": other.country,
            "across_the_border": other.country != region.country,
            "km": round(km),
            "offerings": supply.offerings(topic, other.nuts3, band),
            "url": site.courses(topic, other.nuts3, band),
            "gap_page": site.gap(topic, region.nuts3, band),
        }
    return row


def _filters(supply: Supply, request) -> tuple[list[str], list[Region], dict]:
    topic = _choice(request, "topic", TOPIC_LABELS, "topic")
    country = _choice(request, "country", COUNTRIES, "country (FI or SE)")
    region = _choice(request, "region", supply.by_code, "region (a NUTS-3 code such as SE331 or FI1D9)")
    regions = [r for r in supply.regions if (not country or r.country == country) and (not region or r.nuts3 == region)]
    if not regions:
        raise Mistake(f"region {region} is not in country {country}: leave one of them empty")
    topics = [topic] if topic else list(TOPIC_LABELS)
    return topics, regions, {"topic": topic, "country": country, "region": region}


def _band_parts(supply: Supply, topic: str, nuts3: str) -> list[tuple[str, str, int]]:
    return [(b.key, b.label, supply.offerings(topic, nuts3, b.key)) for b in BANDS]


def _term_parts(supply: Supply, topic: str, nuts3s: list[str], term: str) -> list[tuple[str, str, int]]:
    return [
        (b.key, b.label, sum(supply.terms.get((topic, code, b.key), {}).get(term, 0) for code in nuts3s)) for b in BANDS
    ]


def _legend() -> list[dict]:
    return [{"band": b, "swatch": legend_swatch(b.key), "pattern": BAND_LOOKS[b.key][1]} for b in BANDS]


async def supply_data(datasette, request) -> tuple[dict, Site, Supply]:
    name, db = _database(datasette)
    supply = await load_supply(db)
    site = Site(datasette, request, name, absolute=bool(request.url_vars.get("format")))
    topics, regions, chosen = _filters(supply, request)
    rows = [cell(supply, site, t, r, b.key) for t in topics for r in regions for b in BANDS]
    chart_topic = chosen["topic"] or ANY_TOPIC
    terms = coming_terms()
    codes = [r.nuts3 for r in regions]
    per_term = {term: _term_parts(supply, chart_topic, codes, term) for term in terms}
    unplaced = [
        {"topic": t, "country": c, "band": b, "offerings": n}
        for (t, c, b), n in sorted(supply.unplaced.items())
        if t in topics and (not chosen["country"] or c == chosen["country"]) and not chosen["region"]
    ]
    data = {
        "title": "Supply by topic, region and level",
        "filters": chosen,
        "counted": supply.counted,
        "bands": [_band_json(b) for b in BANDS],
        "topics": [{"topic": t, "label": TOPIC_LABELS[t]} for t in topics],
        "rows": rows,
        "terms": [
            {"term": term, "offerings": sum(n for _, _, n in parts), "by_band": {k: n for k, _, n in parts}}
            for term, parts in per_term.items()
        ],
        "unplaced": unplaced,
    }
    return data, site, supply


def _workbook(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    """An Excel workbook of one sheet per (title, headers, rows), the header row frozen;
    write-only (streamed), which is five times faster than openpyxl's default."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        for i, header in enumerate(headers):
            width = max([len(str(header))] + [len(str(row[i])) for row in rows[:200] if row[i] is not None])
            sheet.column_dimensions[chr(ord("A") + i)].width = max(8, min(60, width + 2))
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


GRID_COLUMNS = [
    "topic",
    "topic_label",
    "country",
    "nuts3",
    "region",
    "band",
    "eqf_min",
    "eqf_max",
    "offerings",
    "seats",
    "offerings_with_seats",
    "gap",
    "url",
]


def _bands_sheet() -> tuple[str, list[str], list[list]]:
    return (
        "Level bands",
        ["band", "label", "eqf_min", "eqf_max", "means"],
        [[b.key, b.label, b.eqf_min, b.eqf_max, b.means] for b in BANDS],
    )


def _about_sheet(site: Site, filters: dict) -> tuple[str, list[str], list[list]]:
    chosen = ", ".join(f"{k}={v}" for k, v in filters.items() if v) or "none (both countries, every topic)"
    return (
        "About",
        ["what", "value"],
        [
            ["page", site.absolute(site.request.path.rsplit(".", 1)[0]) + "?" + site.request.query_string],
            ["filters", chosen],
            ["counts", "current listings (not removed) per topic, region (NUTS-3) and level band"],
            ["written", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")],
        ],
    )


def _respond(fmt: str | None, data: dict, name: str, sheets) -> Response | None:
    """The page's numbers as JSON or as a workbook, or None for the HTML page."""
    if fmt == ".json":
        return Response.json(data)
    if fmt != ".xlsx":
        return None
    return Response(
        _workbook(sheets()), content_type=XLSX, headers={"content-disposition": f'attachment; filename="{name}.xlsx"'}
    )


# answers already given, per published snapshot, address and day (the coming terms follow the
# date): a snapshot's counts never change, and the whole grid takes 50 ms to write, a workbook
# 40 us a cell in openpyxl (0.5 s for a country's grid)
_answers: dict[tuple, Response] = {}
ANSWERS_KEPT = 256


def kept_per_snapshot(view):
    """A page view whose 200 answers on an immutable snapshot are kept and given again."""

    async def answer(datasette, request):
        try:
            _, db = _database(datasette)
        except Mistake:
            db = None
        if db is None or db.is_mutable or not db.path:
            return await view(datasette, request)
        stat = os.stat(db.path)
        # the JSON's and workbooks' links are absolute: the host asked is part of the answer
        where = (request.scheme, request.host)
        key = (db.path, stat.st_size, stat.st_mtime_ns, where, request.path, request.query_string, dt.date.today())
        kept = _answers.get(key)
        if kept is None:
            kept = await view(datasette, request)
            if kept.status != 200:
                return kept
            if len(_answers) >= ANSWERS_KEPT:
                _answers.clear()
            _answers[key] = kept
        return Response(kept.body, status=kept.status, headers=dict(kept.headers), content_type=kept.content_type)

    return answer


async def _page(datasette, request, template: str, context: dict) -> Response:
    context["supply_css"] = datasette.urls.static_plugins(DISTRIBUTION, "supply.css")
    return Response.html(await datasette.render_template(template, context, request=request))


async def _mistake(datasette, request, message: str) -> Response:
    if request.url_vars.get("format"):
        return Response.json({"ok": False, "error": message}, status=400)
    context = {"message": message, "supply_css": datasette.urls.static_plugins(DISTRIBUTION, "supply.css")}
    return Response.html(await datasette.render_template("supply_error.html", context, request=request), status=400)


def _options(supply: Supply) -> dict:
    return {
        "topics": TOPIC_LABELS,
        "countries": COUNTRIES,
        "regions_by_country": [(COUNTRIES[c], [r for r in supply.regions if r.country == c]) for c in ("SE", "FI")],
    }


async def supply_page(datasette, request):
    fmt = request.url_vars.get("format")
    try:
        data, site, supply = await supply_data(datasette, request)
    except Mistake as mistake:
        return await _mistake(datasette, request, str(mistake))
    filters = data["filters"]
    context = {
        "download_name": "supply-" + "-".join(v for v in filters.values() if v) if any(filters.values()) else "supply"
    }
    answered = _respond(
        fmt,
        data,
        context["download_name"],
        lambda: [
            ("Supply", GRID_COLUMNS, [[row[c] for c in GRID_COLUMNS] for row in data["rows"]]),
            (
                "Nearest offer for gaps",
                [
                    "topic",
                    "nuts3",
                    "band",
                    "offerings",
                    "gap",
                    "nearest_nuts3",
                    "nearest_offerings",
                    "km",
                    "nearest_url",
                ],
                [
                    [
                        r["topic"],
                        r["nuts3"],
                        r["band"],
                        r["offerings"],
                        r["gap"],
                        n["nuts3"],
                        n["offerings"],
                        n["km"],
                        n["url"],
                    ]
                    for r in data["rows"]
                    if (n := r["nearest"])
                ],
            ),
            (
                "Start terms",
                ["term", "offerings", *[b.key for b in BANDS]],
                [[t["term"], t["offerings"], *[t["by_band"][b.key] for b in BANDS]] for t in data["terms"]],
            ),
            _bands_sheet(),
            _about_sheet(site, filters),
        ],
    )
    if answered:
        return answered
    chart_topic = filters["topic"] or ANY_TOPIC
    regions = [supply.by_code[code] for code in dict.fromkeys(r["nuts3"] for r in data["rows"])]
    by_key = {(r["topic"], r["nuts3"], r["band"]): r for r in data["rows"]}
    chart_rows = [(r.label, _band_parts(supply, chart_topic, r.nuts3)) for r in regions]
    what = TOPIC_LABELS[filters["topic"]] if filters["topic"] else "any of the nine topics"
    context.update(
        data=data,
        bands=BANDS,
        legend=_legend(),
        band_heading=band_heading,
        grids={t["topic"]: grid_table(supply, t["topic"], regions, by_key) for t in data["topics"]},
        topic_labels=TOPIC_LABELS,
        options=_options(supply),
        chart_what=what,
        region_chart=stacked_bars("chart-regions", f"Offerings in {what} per region and level band", chart_rows),
        region_chart_rows=chart_rows,
        term_chart=stacked_bars(
            "chart-terms",
            f"Offerings in {what} per start term",
            [(term_label(t["term"]), [(b.key, b.label, t["by_band"][b.key]) for b in BANDS]) for t in data["terms"]],
        ),
        term_label=term_label,
        json_url=_with_format(request, ".json"),
        xlsx_url=_with_format(request, ".xlsx"),
        compare_url="/supply/compare?a=SE331&b=FI1D9",
    )
    return await _page(datasette, request, "supply.html", context)


def band_heading(band) -> str:
    """A band's column heading: its name, or on a phone its abbreviation (with the name as title)."""
    return (
        f'<span class="long">{band.label}</span>'
        f'<abbr class="short" title="{band.label} ({band.eqf_range})">{band.short}</abbr>'
    )


def short_name(region_name: str) -> str:
    """ "Västerbottens län" -> "Västerbotten", a maakunta as it is: what fits under a number."""
    if region_name.endswith(" län"):
        return swedish_county_in_english(region_name).removesuffix(" County")
    return region_name


def grid_table(supply: Supply, topic: str, regions: list[Region], by_key: dict) -> str:
    """One topic's table of the grid (regions x bands), written here rather than in the template:
    the whole grid is 1,800 cells, which Datasette's asynchronous Jinja takes 0.3 s to loop over.
    A band no region of either country offers says so once, in its heading."""
    offered = {b.key: any(supply.offerings(topic, r.nuts3, b.key) for r in supply.regions) for b in BANDS}
    head = "".join(
        f'<th scope="col">{band_heading(b)}<br><span class="muted">{b.eqf_range}</span>'
        + ("" if offered[b.key] else '<br><span class="muted none-anywhere">none anywhere</span>')
        + "</th>"
        for b in BANDS
    )
    out = [
        f'<table class="supply-grid" data-topic="{topic}"><thead><tr><th '
        f'scope="col">Region</th>{head}</tr></thead><tbody>'
    ]
    for r in regions:
        out.append(f'<tr><th scope="row">{escape(r.label)} <span class="muted">{r.nuts3}</span></th>')
        for b in BANDS:
            c = by_key[(topic, r.nuts3, b.key)]
            kind = f" gap gap-{c['gap']}" if c["gap"] and offered[b.key] else ""
            out.append(f'<td class="cell{kind}"><a class="count" href="{c["url"]}">{c["offerings"]:,}</a>')
            if c["seats"] is not None:
                out.append(f'<span class="seats">{c["seats"]:,} seats ({round(100 * c["seats_share"])} % state)</span>')
            near = c["nearest"]
            if near:
                arrow = "↔" if near["across_the_border"] else "→"
                out.append(
                    f'<a class="nearest" href="{near["gap_page"]}" title="nearest: {escape(near["region_label"])},'
                    f' {near["km"]} km">{arrow} {escape(short_name(near["region"]))} {near["offerings"]:,}</a>'
                )
            out.append("</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _with_format(request, fmt: str) -> str:
    path = request.path
    for ext in (".json", ".xlsx"):
        path = path.removesuffix(ext)
    return path + fmt + (f"?{request.query_string}" if request.query_string else "")


async def gap_page(datasette, request):
    fmt = request.url_vars.get("format")
    try:
        name, db = _database(datasette)
        supply = await load_supply(db)
        site = Site(datasette, request, name, absolute=bool(request.url_vars.get("format")))
        topic = _choice(request, "topic", TOPIC_LABELS, "topic")
        code = _choice(request, "region", supply.by_code, "region (a NUTS-3 code such as SE331)")
        band = _choice(request, "band", BAND_BY_KEY, "band")
        if not (topic and code and band):
            raise Mistake("a gap is a topic, a region and a band: give ?topic=...&region=...&band=...")
    except Mistake as mistake:
        return await _mistake(datasette, request, str(mistake))
    region = supply.by_code[code]
    here = cell(supply, site, topic, region, band)
    around = []
    for other in supply.neighbours[code]:
        n = supply.offerings(topic, other.nuts3, band)
        if n:
            around.append(
                {
                    "nuts3": other.nuts3,
                    "region": other.name,
                    "region_label": other.label,
                    "country": other.country,
                    "across_the_border": other.country != region.country,
                    "km": round(distance_km(region, other)),
                    "offerings": n,
                    "url": site.courses(topic, other.nuts3, band),
                }
            )
        if len(around) == GAP_NEIGHBOURS:
            break
    data = {"cell": here, "band": _band_json(BAND_BY_KEY[band]), "nearest_regions": around}
    context = {"download_name": f"gap-{topic}-{code}-{band}"}
    answered = _respond(
        fmt,
        data,
        context["download_name"],
        lambda: [
            (
                "Nearest offer",
                ["nuts3", "region", "country", "km", "offerings", "url"],
                [[a["nuts3"], a["region"], a["country"], a["km"], a["offerings"], a["url"]] for a in around],
            ),
            _bands_sheet(),
        ],
    )
    if answered:
        return answered
    context.update(
        data=data,
        region=region,
        topic_label=TOPIC_LABELS[topic],
        band=BAND_BY_KEY[band],
        json_url=_with_format(request, ".json"),
        supply_url=f"/supply?{urlencode({'topic': topic})}",
    )
    return await _page(datasette, request, "supply_gap.html", context)


def _languages_text(counts: dict[str, int]) -> str:
    return ", ".join(
        f"{LANGUAGES.get(lang, lang)} {n:,}" for lang, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )


async def compare_data(datasette, request) -> tuple[dict, Site, Supply, list[dict]]:
    name, db = _database(datasette)
    supply = await load_supply(db)
    site = Site(datasette, request, name, absolute=bool(request.url_vars.get("format")))
    allowed = supply.by_code
    a = _choice(request, "a", allowed, "region a (a NUTS-3 code such as SE331)")
    b = _choice(request, "b", allowed, "region b (a NUTS-3 code such as FI1D9)")
    if not (a and b):
        raise Mistake("compare two regions by their NUTS-3 codes: /supply/compare?a=SE331&b=FI1D9")
    topic = _choice(request, "topic", TOPIC_LABELS, "topic")
    topics = [topic] if topic else list(TOPIC_LABELS)
    next_two = coming_terms(count=2)
    rows, pairs = [], []
    for t in topics:
        for band in BANDS:
            sides = []
            for code in (a, b):
                row = cell(supply, site, t, supply.by_code[code], band.key)
                key = (t, code, band.key)
                row["languages"] = supply.languages.get(key, {})
                row["languages_text"] = _languages_text(row["languages"])
                row["starting"] = {term: supply.terms.get(key, {}).get(term, 0) for term in next_two}
                row["starting_next_two_terms"] = sum(row["starting"].values())
                rows.append(row)
                sides.append(row)
            pairs.append(
                {
                    "topic": t,
                    "topic_label": TOPIC_LABELS[t],
                    "band": band.key,
                    "band_label": band.label,
                    "eqf_min": band.eqf_min,
                    "eqf_max": band.eqf_max,
                    "a": sides[0],
                    "b": sides[1],
                    "difference": sides[0]["offerings"] - sides[1]["offerings"],
                }
            )
    data = {
        "title": "Two regions side by side",
        "a": {"nuts3": a, "region": supply.by_code[a].name, "label": supply.by_code[a].label},
        "b": {"nuts3": b, "region": supply.by_code[b].name, "label": supply.by_code[b].label},
        "km": round(distance_km(supply.by_code[a], supply.by_code[b])),
        "filters": {"topic": topic},
        "next_two_terms": next_two,
        "bands": [_band_json(band) for band in BANDS],
        "rows": rows,
        "pairs": [
            {k: v for k, v in p.items() if k not in ("a", "b")}
            | {"a_offerings": p["a"]["offerings"], "b_offerings": p["b"]["offerings"]}
            for p in pairs
        ],
    }
    return data, site, supply, pairs


async def compare_page(datasette, request):
    fmt = request.url_vars.get("format")
    try:
        data, site, supply, pairs = await compare_data(datasette, request)
    except Mistake as mistake:
        return await _mistake(datasette, request, str(mistake))
    a, b = data["a"], data["b"]
    context = {"download_name": f"compare-{a['nuts3']}-{b['nuts3']}"}
    headers = [
        "topic",
        "band",
        "eqf_min",
        "eqf_max",
        f"{a['nuts3']} offerings",
        f"{b['nuts3']} offerings",
        "difference",
        f"{a['nuts3']} seats",
        f"{b['nuts3']} seats",
        f"{a['nuts3']} languages",
        f"{b['nuts3']} languages",
        f"{a['nuts3']} starting in {' and '.join(data['next_two_terms'])}",
        f"{b['nuts3']} starting in {' and '.join(data['next_two_terms'])}",
    ]
    answered = _respond(
        fmt,
        data,
        context["download_name"],
        lambda: [
            (
                "Compare",
                headers,
                [
                    [
                        p["topic"],
                        p["band"],
                        p["eqf_min"],
                        p["eqf_max"],
                        p["a"]["offerings"],
                        p["b"]["offerings"],
                        p["difference"],
                        p["a"]["seats"],
                        p["b"]["seats"],
                        p["a"]["languages_text"],
                        p["b"]["languages_text"],
                        p["a"]["starting_next_two_terms"],
                        p["b"]["starting_next_two_terms"],
                    ]
                    for p in pairs
                ],
            ),
            _bands_sheet(),
            _about_sheet(site, {"a": a["nuts3"], "b": b["nuts3"], **data["filters"]}),
        ],
    )
    if answered:
        return answered
    topic = data["filters"]["topic"] or ANY_TOPIC
    what = TOPIC_LABELS[data["filters"]["topic"]] if data["filters"]["topic"] else "any of the nine topics"
    terms = coming_terms()
    context.update(
        data=data,
        pairs=pairs,
        bands=BANDS,
        legend=_legend(),
        band_heading=band_heading,
        short_name=short_name,
        chart_what=what,
        options=_options(supply),
        topic_labels=TOPIC_LABELS,
        band_chart=stacked_bars(
            "chart-compare",
            f"Offerings in {what} per level band: {a['label']} and {b['label']}",
            [(side["label"], _band_parts(supply, topic, side["nuts3"])) for side in (a, b)],
        ),
        term_chart=stacked_bars(
            "chart-compare-terms",
            f"Offerings in {what} per start term: {a['label']} and {b['label']}",
            [
                (f"{term_label(term)} · {side['region']}", _term_parts(supply, topic, [side["nuts3"]], term))
                for term in terms
                for side in (a, b)
            ],
        ),
        next_two_labels=" and ".join(term_label(t) for t in data["next_two_terms"]),
        json_url=_with_format(request, ".json"),
        xlsx_url=_with_format(request, ".xlsx"),
        swap_url=f"/supply/compare?{urlencode({'a': b['nuts3'], 'b': a['nuts3']})}",
    )
    return await _page(datasette, request, "supply_compare.html", context)


ROUTES = [
    (r"^/supply(?P<format>\.json|\.xlsx)?$", kept_per_snapshot(supply_page)),
    (r"^/supply/gap(?P<format>\.json|\.xlsx)?$", kept_per_snapshot(gap_page)),
    (r"^/supply/compare(?P<format>\.json|\.xlsx)?$", kept_per_snapshot(compare_page)),
]
