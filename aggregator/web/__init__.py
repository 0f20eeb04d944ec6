"""The public site: a Datasette plugin.

Registered through the ``datasette`` entry point in pyproject.toml, so with the project installed
stock ``datasette serve -i SNAPSHOT -m datasette_metadata.yml`` serves the same site as
``aggregator serve``. Everything here goes through Datasette's plugin hooks and template
overrides:

- ``templates/`` (Datasette loads a plugin's templates): the courses table shows the columns a
  reader scans (``browse_columns`` in the metadata) with a link to all of them;
- ``static/`` and ``extra_css_urls``: the site's stylesheet;
- ``register_facet_classes``: column facets counted from a snapshot's counts (``counted``) and
  the topics facet (``topics.TopicFacet``), beside Datasette's own;
- ``filters_from_request``: a picked topic looked up in ``course_topics`` (``topics.topic_lookup``);
- ``prepare_connection``: a published snapshot read memory-mapped (``connections``);
- ``handle_exception``: a visitor's mistakes answer 400 and 405, not 500 (``errors``);
- ``extra_template_vars``: table and view pages without their CREATE statements;
- ``extra_body_script``: canned-query parameters picked from a list (``choices``);
- ``register_routes``: ``/robots.txt`` and a sitemap of the listing pages (``crawlers``); the
  planner's pages ``/supply``, ``/supply/gap``, ``/supply/compare`` (``supply``);
- ``startup``: the site's settings (``settings``, the one reach past the public interface).
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
def startup(datasette):
    from aggregator.web.settings import apply_site_settings

    apply_site_settings(datasette)


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
    from aggregator.web.connections import memory_map_snapshot

    memory_map_snapshot(conn, database, datasette)


@hookimpl(tryfirst=True)
def handle_exception(datasette, request, exception):
    from aggregator.web.errors import visitor_mistake

    return visitor_mistake(datasette, request, exception)


@hookimpl
def extra_template_vars(view_name, database, table, request, datasette):
    # public pages show data, not schema: no CREATE TABLE / CREATE VIEW under a table or view
    # (the schema is in the exports' datapackage.json and at /-/ pages)
    if view_name == "table":
        return {"table_definition": None, "view_definition": None}
    if view_name == "index":
        from aggregator.web.home import home_vars

        return home_vars(datasette)
    if view_name == "row" and table == "courses":
        from aggregator.web.listing import listing_vars

        return listing_vars(datasette, database, request)
    return {}


@hookimpl
def extra_body_script(template, database, datasette):
    from aggregator.web.choices import choices_script

    return choices_script(template, database, datasette)


@hookimpl
def register_routes():
    from aggregator.web.crawlers import ROUTES
    from aggregator.web.supply import ROUTES as SUPPLY_ROUTES

    return ROUTES + SUPPLY_ROUTES


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.static_plugins(DISTRIBUTION, STYLESHEET)]
