"""A read-only public site: what a visitor can send beyond GET, and what ``/-/`` tells them.

- ``asgi_wrapper``: every request with another method than GET, HEAD or OPTIONS answers 405
  (``Allow: GET, HEAD``) on Datasette's own error page, before anything else reads it. The site
  has no canned query that writes, no login and no API token; Datasette 0.65 answered a POST to
  a canned query or to ``/-/insert`` with a server error (500).
- ``register_routes`` (plugin routes come before Datasette's own): ``/-/databases.json`` without
  the database's path on the server; the debugging pages a public site does not need answer 404
  (docs/safety.md lists them): ``/-/threads`` (the server's threads and tasks, with the source
  paths of their code), ``/-/messages`` (sets a message cookie), ``/-/allow-debug`` and
  ``/-/patterns``.
"""

from __future__ import annotations

from datasette.utils.asgi import NotFound, Request, Response

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CLOSED_DEBUG_PAGES = ("threads", "messages", "allow-debug", "patterns")


def only_reading(datasette):
    def wrap(app):
        async def read_only_app(scope, receive, send):
            if scope["type"] != "http" or scope.get("method", "GET").upper() in READ_METHODS:
                await app(scope, receive, send)
                return
            request = Request(scope, receive)
            error = {
                "ok": False,
                "error": f"{scope['method']} is not accepted here: this site is read-only, every page answers GET",
                "status": 405,
                "title": "Method not allowed",
            }
            headers = {"Allow": "GET, HEAD"}
            if request.path.endswith(".json"):
                response = Response.json(error, status=405, headers=headers)
            else:
                await datasette.invoke_startup()  # a POST may be the first request a worker gets
                html = await datasette.render_template(["405.html", "error.html"], error)
                response = Response.html(html, status=405, headers=headers)
            await response.asgi_send(send)

        return read_only_app

    return wrap


async def databases_json(datasette):
    return Response.json(
        [
            {
                "name": db.name,
                "route": db.route,
                "size": db.size,
                "is_mutable": db.is_mutable,
                "is_memory": db.is_memory,
                "hash": db.hash,
            }
            for name, db in datasette.databases.items()
            if name != "_internal"
        ]
    )


async def closed_page():
    raise NotFound("Not a page of this site")


ROUTES = [
    (r"^/-/databases(\.json)?$", databases_json),
    (rf"^/-/({'|'.join(CLOSED_DEBUG_PAGES)})(\.json)?$", closed_page),
]
