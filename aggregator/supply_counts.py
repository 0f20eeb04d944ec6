"""The supply of education per topic, region (NUTS-3) and level band, counted once per run.

The planners' pages (``aggregator.web.supply``) read small tables written here by the nightly
job and into every published snapshot, never a group-by over the listings per visit:

- ``supply_regions``: every region of both countries (all 21 Swedish län and 19 Finnish
  maakunta, with or without listings), with its English label and the position it is measured
  from (the mean of its municipalities' main settlements);
- ``supply_cells``: current listings (not removed) per topic, region and band, with the seats the
  sources state and how many listings state them; topic ``*`` counts a listing with any topic once;
- ``supply_terms``: the same per start term (``2027-spring``: a start from January to June,
  ``2027-autumn``: July to December, from ``start_from``);
- ``supply_languages``: the same per language of instruction.

A listing without a region (its municipality could not be placed) is counted with ``nuts3``
null, so the totals still add up. The level bands follow the partners' words ("engineers,
technicians and operators at different levels"); their EQF ranges are in ``BANDS``.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from functools import lru_cache

from aggregator.labels import swedish_county_in_english, value_labels
from pipelines.places import municipalities, municipality_positions

REGIONS_TABLE = "supply_regions"
CELLS_TABLE = "supply_cells"
TERMS_TABLE = "supply_terms"
LANGUAGES_TABLE = "supply_languages"
ANY_TOPIC = "*"
# regions none of whose municipalities has a position in pipelines/data/municipality_coordinates.csv:
# their seat's (GeoNames): Gotland's municipality 0980 is missing there, Visby stands for it
SEAT_POSITIONS = {"SE214": (57.6409, 18.2960)}


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    eqf_min: int | None
    eqf_max: int | None
    means: str
    short: str = ""  # a column heading on a phone

    @property
    def eqf_range(self) -> str:
        if self.eqf_min is None:
            return "no EQF level"
        return f"EQF {self.eqf_min}" if self.eqf_min == self.eqf_max else f"EQF {self.eqf_min}–{self.eqf_max}"

    @property
    def filter_args(self) -> list[tuple[str, str]]:
        """Datasette column filters selecting exactly this band's listings."""
        if self.eqf_min is None:
            return [("eqf_level__isnull", "1")]
        if self.eqf_min == self.eqf_max:
            return [("eqf_level", str(self.eqf_min))]
        return [("eqf_level__gte", str(self.eqf_min)), ("eqf_level__lte", str(self.eqf_max))]


BANDS = (
    Band(
        "operators",
        "Operators",
        1,
        4,
        "vocational upper secondary qualifications (perustutkinto, ammattitutkinto, gymnasial vuxenutbildning) "
        "and the basic education before them",
        "Oper.",
    ),
    Band(
        "technicians",
        "Technicians",
        5,
        5,
        "short-cycle higher vocational education (yrkeshögskola, erikoisammattitutkinto)",
        "Tech.",
    ),
    Band(
        "engineers",
        "Engineers",
        6,
        7,
        "bachelor's and master's level: universities, universities of applied sciences, advanced YH",
        "Eng.",
    ),
    Band("research", "Research", 8, 8, "doctoral level", "Res."),
    Band(
        "no_level",
        "No level",
        None,
        None,
        "short and continuing courses whose source states no level and none could be derived",
        "None",
    ),
)
BAND_BY_KEY = {band.key: band for band in BANDS}

BAND_SQL = (
    "case when c.eqf_level is null then 'no_level'"
    " when c.eqf_level between 1 and 4 then 'operators'"
    " when c.eqf_level = 5 then 'technicians'"
    " when c.eqf_level between 6 and 7 then 'engineers'"
    " when c.eqf_level = 8 then 'research' end"
)
# January to June is the spring term, July to December the autumn term
TERM_SQL = (
    "case when c.start_from is null then null"
    " when cast(substr(c.start_from, 6, 2) as integer) <= 6 then substr(c.start_from, 1, 4) || '-spring'"
    " else substr(c.start_from, 1, 4) || '-autumn' end"
)


@dataclass(frozen=True)
class Region:
    nuts3: str
    country: str
    name: str
    label: str
    latitude: float
    longitude: float


@lru_cache(maxsize=1)
def regions() -> tuple[Region, ...]:
    """Every region of both countries, Sweden then Finland, each by NUTS-3 code, positioned at
    the mean of its municipalities' main settlements."""
    labels = {row["value"]: row["label"] for row in value_labels() if row["column"] == "region"}
    positions = municipality_positions()
    points: dict[str, list[tuple[float, float]]] = {}
    names: dict[str, tuple[str, str]] = {}
    for (country, code), place in municipalities().items():
        names[place.nuts3] = (country, place.region)
        row = positions.get((country, code))
        if row:
            points.setdefault(place.nuts3, []).append((float(row["latitude"]), float(row["longitude"])))
    out = []
    for nuts3, (country, name) in sorted(names.items(), key=lambda item: (item[1][0] != "SE", item[0])):
        spots = points.get(nuts3) or [SEAT_POSITIONS[nuts3]]
        label = labels.get(name) or (swedish_county_in_english(name) if country == "SE" else name)
        out.append(
            Region(
                nuts3,
                country,
                name,
                label,
                sum(p[0] for p in spots) / len(spots),
                sum(p[1] for p in spots) / len(spots),
            )
        )
    return tuple(out)


def distance_km(a: Region, b: Region) -> float:
    """Great-circle distance between two regions' positions."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("select 1 from sqlite_master where name = ?", [name]).fetchone() is not None


def write_supply_counts(conn: sqlite3.Connection) -> int:
    """(Re)write the supply tables in the database ``conn`` is open on; returns the cells
    written. A database without listings (or without topics) gets empty tables."""
    conn.execute(f"drop table if exists [{REGIONS_TABLE}]")
    conn.execute(
        f"create table [{REGIONS_TABLE}] (nuts3 TEXT PRIMARY KEY, country TEXT, region TEXT, label TEXT,"
        " latitude REAL, longitude REAL, position INTEGER)"
    )
    conn.executemany(
        f"insert into [{REGIONS_TABLE}] values (?, ?, ?, ?, ?, ?, ?)",
        [(r.nuts3, r.country, r.name, r.label, r.latitude, r.longitude, i) for i, r in enumerate(regions())],
    )
    keys = "topic TEXT, country TEXT, nuts3 TEXT, band TEXT"
    for table, extra in (
        (CELLS_TABLE, "offerings INTEGER NOT NULL, seats INTEGER, offerings_with_seats INTEGER NOT NULL"),
        (TERMS_TABLE, "term TEXT, offerings INTEGER NOT NULL"),
        (LANGUAGES_TABLE, "language TEXT, offerings INTEGER NOT NULL"),
    ):
        conn.execute(f"drop table if exists [{table}]")
        conn.execute(f"create table [{table}] ({keys}, {extra})")
    if not _has_table(conn, "courses"):
        return 0
    columns = {row[1] for row in conn.execute("pragma table_info(courses)")}
    if "topics" not in columns:
        return 0
    seats = "c.seats" if "seats" in columns else "null"
    # one row per listing and topic it carries (a topic twice in one array counts once, as the
    # topics facet and Datasette's topics__arraycontains filter count it), and one for any topic
    conn.execute("drop table if exists temp.supply_tagged")
    conn.execute(f"""
        create temp table supply_tagged as
        select distinct item.value as topic, c.id, c.country, c.nuts3, {BAND_SQL} as band, {seats} as seats,
               {TERM_SQL} as term, c.instruction_languages as languages
        from courses c join json_each(c.topics) as item
        where c.removed_at is null and json_valid(c.topics) and item.type = 'text'""")
    conn.execute("""
        insert into temp.supply_tagged
        select distinct '*', id, country, nuts3, band, seats, term, languages from temp.supply_tagged""")
    group = "topic, country, nuts3, band"
    conn.execute(f"""
        insert into [{CELLS_TABLE}]
        select {group}, count(*), sum(seats), count(seats) from temp.supply_tagged
        where band is not null group by {group}""")
    conn.execute(f"""
        insert into [{TERMS_TABLE}]
        select {group}, term, count(*) from temp.supply_tagged
        where band is not null and term is not null group by {group}, term""")
    conn.execute(f"""
        insert into [{LANGUAGES_TABLE}]
        select t.topic, t.country, t.nuts3, t.band, lang.value, count(*)
        from temp.supply_tagged t join json_each(case when json_valid(t.languages) then t.languages else '[]' end) lang
        where t.band is not null group by t.topic, t.country, t.nuts3, t.band, lang.value""")
    conn.execute("drop table temp.supply_tagged")
    for table in (CELLS_TABLE, TERMS_TABLE, LANGUAGES_TABLE):
        conn.execute(f"create index [{table}_topic_nuts3] on [{table}] (topic, nuts3)")
    return conn.execute(f"select count(*) from [{CELLS_TABLE}]").fetchone()[0]
