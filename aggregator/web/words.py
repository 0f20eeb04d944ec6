"""Values in words, for the templates: a code becomes its English label (the database's label
table, aggregator.labels), a fee "Free" or "SEK 65,000 in total — non-EU/EEA citizens only", a
list of language codes "Swedish, English", a start "started autumn 2023" or "starts in 3 weeks".
The data keep their codes; only what a visitor reads is worded. Stored values are never trusted
as markup or links: a link is made only of an http(s) URL (``safe_url``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from aggregator.labels import value_labels

CURRENCIES = {"SE": "SEK", "FI": "EUR"}
SEASONS = {"spring": "spring", "autumn": "autumn", "summer": "summer"}
# the columns whose values are JSON lists of labelled codes
LIST_COLUMNS = ("instruction_languages", "study_forms", "teaching_times")


def safe_url(value: Any) -> str | None:
    """The URL when it is an absolute http or https address, else None: a stored
    ``javascript:`` or ``data:`` address is shown as text, never made a link."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c in url for c in "\r\n\t<>\"'` "):
        return url
    return None


def json_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return parsed if isinstance(parsed, list) else [value]
    return [value] if value not in (None, "") else []


def day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def long_date(value: date) -> str:
    return f"{value.day} {value.strftime('%B')} {value.year}"


def money(amount: Any, country: Any) -> str | None:
    if not isinstance(amount, (int, float)) or isinstance(amount, bool):
        return None
    currency = CURRENCIES.get(country or "", "")
    figure = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    return f"{currency} {figure}".strip()


def ago_or_in(days: int) -> str:
    """'today', 'in 3 weeks', '2 months ago': a distance in days said as a person says it."""
    if days == 0:
        return "today"
    size = abs(days)
    if size < 14:
        amount, unit = size, "day"
    elif size < 60:
        amount, unit = round(size / 7), "week"
    elif size < 730:
        amount, unit = round(size / 30.4), "month"
    else:
        amount, unit = round(size / 365.25), "year"
    phrase = f"{amount} {unit}{'' if amount == 1 else 's'}"
    return f"in {phrase}" if days > 0 else f"{phrase} ago"


class Words:
    def __init__(self, labels: dict[tuple[str, str], str], today: date | None = None):
        self.labels = labels or {(r["column"], r["value"]): r["label"] for r in value_labels()}
        self.today = today or datetime.now().date()

    def label(self, column: str, value: Any, default: Any = None) -> Any:
        if value is None or value == "":
            return default
        return self.labels.get((column, str(value)), value)

    def has_label(self, column: str, value: Any) -> bool:
        return (column, str(value)) in self.labels

    def listed(self, column: str, value: Any, default: str = "-") -> str:
        """A JSON list of codes (languages, study forms) as English words: "Swedish, English"."""
        items = [self.label(column, v) for v in json_list(value) if v not in (None, "")]
        return ", ".join(str(i) for i in items) or default

    def fee(self, row: dict[str, Any]) -> str:
        """The fee as the source says it: Opintopolku's maksuton / maksullinen / lukuvuosimaksu
        with its amount, Susa-navet's university tuition fee (which only non-EU/EEA citizens pay),
        another fee's amount; "not stated" where the source says nothing."""
        kind, amount, country = row.get("fee_type"), row.get("fee_amount"), row.get("country")
        figure = money(amount, country)
        if kind == "maksuton":
            return "Free"
        if kind == "tuition_fee" and country == "SE":
            # Susa-navet's UHEventExtension.tuitionFee: the fee Swedish universities charge citizens
            # of countries outside the EU/EEA and Switzerland
            return (
                f"{figure + ' in total' if figure else 'A tuition fee'} — non-EU/EEA citizens only"
                " (free for citizens of the Nordic countries, the EU/EEA and Switzerland)"
            )
        if kind == "lukuvuosimaksu":
            return (
                f"{'Tuition fee ' + figure if figure else 'A tuition fee'} per academic year — non-EU/EEA citizens only"
            )
        if kind:
            label = self.label("fee_type", kind)
            return f"{label}: {figure}" if figure else str(label)
        if figure:
            return f"{figure} (as the source gives it)" if amount else "Free"
        return "not stated by the source"

    def start(self, row: dict[str, Any]) -> str:
        """ "starts in 3 weeks (1 August 2027)", "started autumn 2023", "individual start"."""
        start_date, term = day(row.get("start_date")), row.get("start_term")
        if start_date:
            distance = (start_date - self.today).days
            verb = "starts" if distance >= 0 else "started"
            return f"{verb} {ago_or_in(distance)} ({long_date(start_date)})"
        if term == "individual":
            return str(self.label("start_term", term))
        if isinstance(term, str) and term:
            year, _, season = term.partition("-")
            if not season and year in SEASONS:  # a season without a year
                return f"{year} (year not given)"
            first = day(row.get("start_from"))
            said = f"{SEASONS.get(season, season)} {year}".strip()
            if first:
                # a term has begun once its first day is past
                return f"{'starts' if first > self.today else 'started'} {said}"
            return said
        return "not stated by the source"

    def pace(self, value: Any) -> str | None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return None
        if value >= 100:
            return "full time (100 %)"
        if value == 50:
            return "half time (50 %)"
        return f"{value:g} % of full time"

    def window(self, row: dict[str, Any]) -> str | None:
        """The listing's own application period: "16 September 2024 – 15 October 2024 (closed)"."""
        first, last = day(row.get("application_start")), day(row.get("application_end"))
        if row.get("rolling_admission") and not last:
            return "continuous: apply at any time"
        if not first and not last:
            return None
        said = " – ".join(long_date(d) for d in (first, last) if d)
        if first and not last:
            said = f"from {said}"
        elif last and not first:
            said = f"until {said}"
        if last and last < self.today:
            state = "closed"
        elif first and first > self.today:
            state = f"opens {ago_or_in((first - self.today).days)}"
        else:
            state = "open now" + (f", closes {ago_or_in((last - self.today).days)}" if last else "")
        return f"{said} ({state})"

    def cell(self, column: str, raw: Any, shown: Any) -> Any:
        """A table cell in words: a labelled code shows its label (the code in a tooltip), a
        list of codes its labels; every other cell as Datasette renders it."""
        if raw is None or raw == "":
            return shown
        if column in LIST_COLUMNS:
            items = json_list(raw)
            if items:
                return Markup('<span title="{}">{}</span>').format(raw, self.listed(column, raw))
            return shown
        if self.has_label(column, raw):
            return Markup('<span title="{}">{}</span>').format(raw, self.label(column, raw))
        if column == "start_term" and isinstance(raw, str) and "-" in raw:
            year, _, season = raw.partition("-")
            return Markup('<span title="{}">{} {}</span>').format(raw, SEASONS.get(season, season), year)
        if column == "start_from" and day(raw):
            first = day(raw)
            distance = (first - self.today).days
            return f"{raw} ({'starts' if distance >= 0 else 'started'} {ago_or_in(distance)})"
        if column in ("url", "source_url", "link") and not safe_url(raw):
            return escape(str(raw))
        return shown


async def words_for(db) -> Words:
    """The words of a database's values (its label table; the project's own labels where the
    database has none, e.g. a crawl database before its first nightly run)."""
    from aggregator.web.counted import all_value_labels

    return Words(await all_value_labels(db) if db is not None else {})


def words_vars(datasette, database: str | None) -> Any:
    async def inner() -> dict[str, Any]:
        db = datasette.get_database(database) if database else None
        return {"words": await words_for(db), "safe_url": safe_url}

    return inner
