"""The public site: a Datasette plugin.

Registered through the ``datasette`` entry point in pyproject.toml, so with the project installed
stock ``datasette serve SNAPSHOT_FOLDER -m datasette_metadata.yml`` serves the same site as
``aggregator serve``. Everything here goes through Datasette's plugin hooks and template
overrides:

- ``templates/`` (Datasette loads a plugin's templates): the courses table shows the columns a
  reader scans (``browse_columns`` in the metadata) with a link to all of them;
- ``static/`` and ``extra_css_urls``: the site's stylesheet;
- ``register_facet_classes``: column facets counted from a snapshot's counts (``counted``) and
  the topics facet (``topics.TopicFacet``), beside Datasette's own;
- ``filters_from_request``: a picked topic looked up in ``course_topics`` (``topics.topic_lookup``);
- ``prepare_connection``: answers bounded in bytes, the SQL functions that expose the server
  refused, a published snapshot read memory-mapped (``connections``); and (``plain_word_search``)
  a search is plain words, never FTS syntax (``search``);
- ``handle_exception``: a visitor's mistakes answer 4xx in the site's layout, logged as one line (``errors``);
- ``asgi_wrapper``: a read-only site, every method but GET and HEAD answers 405 (``readonly``);
- ``extra_template_vars``: table and view pages without their CREATE statements;
- ``extra_body_script``: canned-query parameters picked from a list (``choices``);
- ``register_routes``: ``/robots.txt`` and a sitemap of the listing pages (``crawlers``), the saved
  searches' Atom feeds (``feeds``), the planner's pages ``/supply``, ``/supply/gap``,
  ``/supply/compare`` (``supply``), ``/-/databases.json`` without server paths and debugging pages
  closed (``readonly``).

The site's Datasette settings are not set here: they are settings passed to Datasette
(``settings``: by ``aggregator serve``, and in the ``settings.json`` a snapshot's folder has for
``datasette serve FOLDER``).
"""

from __future__ import annotations

# Only hook wrappers here: Datasette imports this module while it loads its plugins, and a
# submodule importing datasette.views (or datasette.app) at that moment would have Datasette
# register this module before its hooks are defined. The submodules are imported when a hook runs.
from datasette import hookimpl

# the project's distribution: Datasette serves a plugin's static/ under its name
DISTRIBUTION = "nordic-course-aggregator"
STYLESHEET = "aggregator.css"


@hookimpl
def register_facet_classes():
    from aggregator.web.counted import CountedFacet
    from aggregator.web.topics import TopicFacet

    return [CountedFacet, TopicFacet]


@hookimpl
def filters_from_request(request, database, table, datasette):
    from aggregator.web.topics import topic_lookup

    return topic_lookup(request, database, table, datasette)


@hookimpl
def prepare_connection(conn, database, datasette):
    from aggregator.web.connections import prepare

    prepare(conn, database, datasette)


# after Datasette's own functions (trylast), so that its escape_fts is replaced (aggregator.web.search)
@hookimpl(specname="prepare_connection", trylast=True)
def plain_word_search(conn):
    from aggregator.web.search import register_plain_word_search

    register_plain_word_search(conn)


@hookimpl(tryfirst=True)
def handle_exception(datasette, request, exception):
    from aggregator.web.errors import visitor_mistake

    return visitor_mistake(datasette, request, exception)


@hookimpl
def extra_template_vars(view_name, database, table, request, datasette):
    # public pages show data, not schema: no CREATE TABLE / CREATE VIEW under a table or view
    # (the schema is in the exports' datapackage.json and at /-/ pages)
    from aggregator.web.words import words_vars

    if view_name == "table":
        from aggregator.web.home import coverage_vars

        words, coverage = words_vars(datasette, database), coverage_vars(datasette, database, table)

        async def table_vars():
            return {"table_definition": None, "view_definition": None, **await words(), **await coverage()}

        return table_vars
    if view_name == "index":
        from aggregator.web.home import home_vars

        return home_vars(datasette)
    if view_name == "row" and table == "courses":
        from aggregator.web.listing import listing_vars

        return listing_vars(datasette, database, request)
    if view_name in ("row", "query", "database"):
        return words_vars(datasette, database)
    return {}


@hookimpl
def extra_body_script(template, database, datasette):
    from aggregator.web.choices import choices_script

    return choices_script(template, database, datasette)


@hookimpl
def register_routes():
    from aggregator.web import readonly
    from aggregator.web.crawlers import ROUTES
    from aggregator.web.feeds import ROUTES as FEEDS
    from aggregator.web.supply import ROUTES as SUPPLY_ROUTES

    return readonly.ROUTES + ROUTES + FEEDS + SUPPLY_ROUTES


@hookimpl
def asgi_wrapper(datasette):
    from aggregator.web.readonly import only_reading

    return only_reading(datasette)


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.static_plugins(DISTRIBUTION, STYLESHEET)]
