"""A visitor's mistakes answer 4xx in the site's own layout, with a sentence a person understands
and a way home, and are logged as one line, not a traceback (Datasette's own error handler
prints every exception with its locals: about 270 lines per bad address).

Datasette 0.65 reports a sort by a column the table does not have ("Cannot sort table by ...")
and a POST to a table page (an assertion: "You may only POST to a canned query") as server
errors: they answer 400 and 405 here. Real server errors (500) are left to Datasette, which logs
them in full. Through the public ``handle_exception`` hook and ``Datasette.render_template``.

Datasette's default handler still runs after this one (every handler is called) and, where the
``rich`` library is installed, prints the exception with its locals to rich's console. That console
writes through ``QuietForVisitorMistakes``: while the request being answered is a visitor's mistake
(a context variable of the request's task) it is dropped; everything else is written as before."""

from __future__ import annotations

import contextvars
import io
import logging
import sys

from datasette.utils.asgi import Base400, NotFound, Response
from datasette.views.base import DatasetteError

VISITOR_MISTAKES = ("Cannot sort table by", "Cannot use _sort and _sort_desc")
log = logging.getLogger("aggregator.web")

# what a person is told, by status
SENTENCES = {
    400: "The address asks for something this site cannot do (a filter, sort or search it does not understand).",
    403: "This page is not public.",
    404: "There is no page at this address. The listing may have been removed, or the address mistyped.",
    405: "This page cannot be posted to: it only shows data.",
}


def _status_and_message(request, exception) -> tuple[int, str] | None:
    if (
        isinstance(exception, DatasetteError)
        and exception.status == 500
        and str(exception.message).startswith(VISITOR_MISTAKES)
    ):
        return 400, str(exception.message)
    if (
        request.method == "POST"
        and isinstance(exception, AssertionError)
        and "only POST to a canned query" in str(exception)
    ):
        return 405, "This page cannot be posted to: only canned queries that write accept POST."
    if isinstance(exception, Base400):
        return exception.status, str(exception.args[0] if exception.args else "")
    if isinstance(exception, DatasetteError) and 400 <= exception.status < 500:
        return exception.status, str(exception.message)
    return None


_answering_a_mistake = contextvars.ContextVar("answering_a_visitor_mistake", default=False)


class QuietForVisitorMistakes(io.TextIOBase):
    """rich's console output, dropped while a visitor's mistake is being answered."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        if _answering_a_mistake.get():
            return len(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False


def _quiet_rich_for_mistakes() -> None:
    try:
        import rich
    except ImportError:
        return
    console = rich.get_console()
    if not isinstance(console.file, QuietForVisitorMistakes):
        console.file = QuietForVisitorMistakes(console.file or sys.stdout)


def visitor_mistake(datasette, request, exception):
    found = _status_and_message(request, exception)
    if found is None:
        return None  # a real server error: Datasette reports it in full
    status, detail = found

    async def inner():
        _answering_a_mistake.set(True)
        _quiet_rich_for_mistakes()
        log.warning("%s %s %s: %s", status, request.method, request.full_path, detail.splitlines()[0] if detail else "")
        # Datasette's own title of the error ("SQL Interrupted"), which API clients read
        title = getattr(exception, "title", None)
        if request.path.endswith(".json"):
            return Response.json({"ok": False, "error": detail, "status": status, "title": title}, status=status)
        listings = next(
            (datasette.urls.table(n, "courses") for n, d in datasette.databases.items() if n != "_internal"), None
        )
        html = await datasette.render_template(
            "error.html",
            {
                "status": status,
                "error": detail,
                "title": {404: "Page not found", 405: "Method not allowed"}.get(status, title or "This did not work"),
                "sentence": SENTENCES.get(status, SENTENCES[400]),
                "not_found": isinstance(exception, NotFound),
                "courses_url": listings,
            },
            request=request,
        )
        return Response.html(html, status=status)

    return inner
