"""Coverage of the stored listings: how many, and what share has each key fact, per source."""

from __future__ import annotations

import sqlite_utils

# A listing has English for its title when a text is there that is not waiting for a model (the
# home page's share and the coverage report count the same way)
HAS_ENGLISH_TITLE = "title_en is not null and title_en != '' and title_en_method != 'pending'"
# fact -> SQL condition that the fact is present
FACTS = {
    "provider": "provider_name is not null and provider_name != ''",
    "municipality": "municipality_code is not null",
    "credits": "credits is not null",
    "start": "start_date is not null or start_term is not null or rolling_admission = 1",
    "dates": "start_date is not null",
    "eqf_level": "eqf_level is not null",
    "level_or_reason": "eqf_method is not null",
    "credit_unit": "credits is not null and credit_unit is not null and credit_unit != ''",
    "ects": "ects is not null",
    "public_url": "url is not null and url != ''",
    "start_from": "start_from is not null",
    "english_title": HAS_ENGLISH_TITLE,
    "provider_english_title": "title_lang = 'en' or json_extract(title_i18n, '$.en') is not null",
    # the planner's supply (spiders/extract/classifications.py)
    "seats": "seats is not null",
    "field_of_education": "isced_f is not null",
    "occupations": "occupations is not null and occupations not in ('', '[]')",
}


def coverage(db: sqlite_utils.Database) -> list[dict[str, object]]:
    columns = ", ".join(f"sum(case when {cond} then 1 else 0 end) as [{name}]" for name, cond in FACTS.items())
    rows = db.execute(
        f"select source, count(*) as courses, {columns} from courses where removed_at is null "
        "group by source order by source"
    ).fetchall()
    out = []
    for source, total, *counts in rows:
        entry: dict[str, object] = {"source": source, "courses": total}
        for name, count in zip(FACTS, counts, strict=False):
            entry[name] = round(100.0 * count / total, 1) if total else 0.0
        out.append(entry)
    return out


def format_table(rows: list[dict[str, object]]) -> str:
    if not rows:
        return "(no courses)"
    headers = list(rows[0])
    cells = [[str(r[h]) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=False))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])
