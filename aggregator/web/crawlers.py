"""Rules for search engines: ``/robots.txt`` lets them index the site's pages and each listing's
row page, not the endless combinations of facets, sorts and searches; ``/sitemap.xml`` (a sitemap
index) and ``/sitemap-N.xml`` (at most 50,000 listing pages each, the sitemap protocol's limit)
list every current listing's page. Added with ``register_routes``."""

from __future__ import annotations

from xml.sax.saxutils import escape

from datasette.utils.asgi import Response

PER_SITEMAP = 50_000
TABLE = "courses"


# Every rule is a plain path prefix, so that every parser reads them alike: Python's
# urllib.robotparser (and others) match prefixes only, read "*" literally, take the first rule that
# matches and drop an empty query ("/courses?" reads as "/courses"); Google, Bing and Protego take
# the longest match. So the listing pages are allowed first, then each table, view and saved query
# is disallowed with its pages, query strings (facets, sorts, searches) and formats (.json, .csv,
# .atom), and the database's own formats; the home page and everything else stay allowed.
async def robots_rules(datasette) -> str:
    lines = ["User-agent: *"]
    databases = [(n, d) for n, d in datasette.databases.items() if n != "_internal" and not d.is_memory]
    lines += [f"Allow: {datasette.urls.table(name, TABLE)}/" for name, _ in databases]
    lines.append("Disallow: /-/")
    for name, db in databases:
        lines.append(f"Disallow: {datasette.urls.database(name)}.")
        names = await db.table_names() + await db.view_names()
        names += list((await datasette.get_canned_queries(name, None)) or {})
        lines += [f"Disallow: {datasette.urls.table(name, table)}" for table in sorted(set(names))]
    lines.append("Allow: /")
    return "\n".join(lines) + "\n"


def _database(datasette):
    """The database that holds the listings (the first one with a courses table)."""
    for name, db in datasette.databases.items():
        if name != "_internal" and not db.is_memory:
            return name, db
    return None, None


def _base(datasette, request) -> str:
    return datasette.absolute_url(request, "/").rstrip("/")


async def robots_txt(datasette, request):
    rules = await robots_rules(datasette)
    return Response.text(f"{rules}Sitemap: {_base(datasette, request)}/sitemap.xml\n")


async def sitemap_index(datasette, request):
    name, db = _database(datasette)
    count = 0
    if db is not None and await db.table_exists(TABLE):
        count = (await db.execute(f"select count(*) from [{TABLE}] where removed_at is null")).first()[0]
    base = _base(datasette, request)
    parts = "".join(
        f"<sitemap><loc>{base}/sitemap-{i + 1}.xml</loc></sitemap>" for i in range(max(1, -(-count // PER_SITEMAP)))
    )
    return Response(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex '
        f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{parts}</sitemapindex>',
        content_type="application/xml; charset=utf-8",
    )


async def sitemap_part(datasette, request):
    number = int(request.url_vars["number"])
    name, db = _database(datasette)
    if db is None or number < 1 or not await db.table_exists(TABLE):
        return Response.text("no such sitemap", status=404)
    rows = await db.execute(
        f"select id, coalesce(last_seen, first_seen) from [{TABLE}] where removed_at is null order by rowid"
        f" limit {PER_SITEMAP} offset {(number - 1) * PER_SITEMAP}",
        custom_time_limit=10_000,
    )
    if not rows.rows and number > 1:
        return Response.text("no such sitemap", status=404)
    base = _base(datasette, request)
    urls = "".join(
        f"<url><loc>{escape(base + datasette.urls.row(name, TABLE, listing))}</loc>"
        f"<lastmod>{(seen or '')[:10]}</lastmod></url>"
        for listing, seen in rows.rows
    )
    return Response(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset '
        f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
        content_type="application/xml; charset=utf-8",
    )


ROUTES = [
    (r"^/robots\.txt$", robots_txt),
    (r"^/sitemap\.xml$", sitemap_index),
    (r"^/sitemap-(?P<number>\d+)\.xml$", sitemap_part),
]
