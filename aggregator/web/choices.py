"""The parameters of the site's canned queries picked from a list, not typed as codes: on a query
page, the ``topic``, ``region`` and ``country`` boxes become lists of the values there are, with
their English labels ("Batteries and energy storage", "Pohjois-Pohjanmaa (North Ostrobothnia)"),
and "(any)" for an empty box. Added with ``extra_body_script``; the query and its URL stay
Datasette's own."""

from __future__ import annotations

import json

from aggregator.labels import COUNTRIES, LABELS_TABLE

SCRIPT = """
(function () {
  const choices = %s;
  for (const [name, options] of Object.entries(choices)) {
    const box = document.querySelector('form input[name="' + name + '"]');
    if (!box || !options.length) continue;
    const list = document.createElement("select");
    list.name = name;
    list.id = box.id;
    for (const [value, label] of [["", "(any)"], ...options]) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      option.selected = value === box.value;
      list.appendChild(option);
    }
    box.replaceWith(list);
  }
})();
"""


async def query_choices(db) -> dict[str, list[tuple[str, str]]]:
    """The values each choosable parameter can take in the database, with their labels."""
    choices: dict[str, list[tuple[str, str]]] = {}
    if await db.table_exists("course_topics"):
        rows = await db.execute("select topic, max(label) from course_topics group by topic order by max(label)")
        choices["topic"] = [(topic, label or topic) for topic, label in rows.rows]
    if await db.table_exists("courses"):
        labelled = await db.table_exists(LABELS_TABLE)
        label = (
            f"(select label from [{LABELS_TABLE}] where [column] = 'region' and value = region)" if labelled else "null"
        )
        rows = await db.execute(
            f"select region, coalesce({label}, region) from (select distinct region from courses where region is not "
            f"null)"
            " order by 2"
        )
        choices["region"] = [tuple(row) for row in rows.rows]
        rows = await db.execute("select distinct country from courses where country is not null order by country")
        choices["country"] = [(code, f"{COUNTRIES.get(code, code)} ({code})") for (code,) in rows.rows]
    return choices


def choices_script(template, database, datasette):
    if template != "query.html" or not database:
        return None

    async def script():
        choices = await query_choices(datasette.get_database(database))
        return SCRIPT % json.dumps(choices, ensure_ascii=False)

    return script
