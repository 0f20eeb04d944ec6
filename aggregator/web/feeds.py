"""The Atom feed of a saved search (``/DB/QUERY.atom?...``, e.g. new_listings): the canned query
run with the request's parameters, each row an entry. Served by this route instead of
datasette-atom's renderer, which answers 500 ("max() arg is an empty sequence") for a search
with no current match, gives entries the listing's hash as id (not an IRI) and the feed no
author, so strict feed readers reject it. Here a search with no match is a valid, empty feed;
an entry's id is the listing page's address; the feed has an author and a self link."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from datasette.utils.asgi import Response

from aggregator.web.words import safe_url

REQUIRED = ("atom_id", "atom_title", "atom_updated")
PARAMETER = re.compile(r"(?<![:\w]):(\w+)")
AUTHOR = "Nordic course aggregator"


def _when(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _not_a_feed(message: str, status: int = 404) -> Response:
    return Response.text(message + "\n", status=status)


async def saved_search_feed(datasette, request):
    from feedgen.feed import FeedGenerator

    database, name = request.url_vars["database"], request.url_vars["query"]
    if database not in datasette.databases:
        return _not_a_feed("No such database.")
    query = await datasette.get_canned_query(database, name, request.actor)
    if not query or query.get("write"):
        return _not_a_feed(f"There is no feed at this address: {name} is not a saved search of this site.")
    sql = query["sql"]
    params = {p: request.args.get(p, "") for p in dict.fromkeys(PARAMETER.findall(sql))}
    db = datasette.get_database(database)
    results = await db.execute(sql, params)
    if not set(REQUIRED) <= set(results.columns):
        return _not_a_feed(f"{name} has no feed (its rows are not dated entries).")
    base = datasette.absolute_url(request, "/").rstrip("/")
    page = base + datasette.urls.database(database) + "/" + name
    shown = page + ("?" + request.query_string if request.query_string else "")
    feed = FeedGenerator()
    feed.id(base + request.full_path)
    feed.title(f"{query.get('title') or name} – {AUTHOR}")
    feed.author({"name": AUTHOR, "uri": base + "/"})
    feed.link(href=base + request.full_path, rel="self", type="application/atom+xml")
    feed.link(href=shown, rel="alternate", type="text/html")
    if query.get("description"):
        feed.subtitle(query["description"])
    feed.generator("Datasette", uri="https://datasette.io/")
    updated = [w for w in (_when(r["atom_updated"]) for r in results.rows) if w]
    # an empty feed is dated by its newest listing's first sight anywhere in the database, else now
    if not updated and await db.table_exists("courses"):
        newest = (await db.execute("select max(first_seen) from courses")).first()
        updated = [w for w in [_when(newest[0] if newest else None)] if w]
    feed.updated(max(updated) if updated else datetime.now(UTC))
    for row in reversed(results.rows):
        entry = feed.add_entry()
        listing = base + datasette.urls.row(database, "courses", str(row["atom_id"]))
        entry.id(listing)
        entry.title(str(row["atom_title"]))
        entry.updated(_when(row["atom_updated"]) or datetime.now(UTC))
        entry.link(href=listing, rel="alternate", type="text/html")
        if "atom_link" in results.columns and safe_url(row["atom_link"]):
            entry.link(href=safe_url(row["atom_link"]), rel="related")
        if "atom_content" in results.columns and row["atom_content"]:
            entry.content(str(row["atom_content"]), type="text")
    return Response(feed.atom_str(pretty=True), content_type="application/atom+xml; charset=utf-8")


ROUTES = [(r"^/(?P<database>[^/]+)/(?P<query>[^/.]+)\.atom$", saved_search_feed)]
