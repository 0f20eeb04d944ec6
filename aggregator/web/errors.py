"""A visitor's mistakes answer 4xx, not 500: Datasette 0.65 reports a sort by a column the
table does not have ("Cannot sort table by ...") and a POST to a table page (an assertion:
"You may only POST to a canned query") as server errors. Through the public
``handle_exception`` hook, they are rendered by Datasette's own error page with 400 and 405."""

from __future__ import annotations

from datasette.handle_exception import handle_exception as render_error
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError

VISITOR_MISTAKES = ("Cannot sort table by", "Cannot use _sort and _sort_desc")


class BadRequest(Base400):
    status = 400


class MethodNotAllowed(Base400):
    status = 405


def visitor_mistake(datasette, request, exception):
    if (
        isinstance(exception, DatasetteError)
        and exception.status == 500
        and str(exception.message).startswith(VISITOR_MISTAKES)
    ):
        return render_error(datasette, request, BadRequest(exception.message))
    if (
        request.method == "POST"
        and isinstance(exception, AssertionError)
        and "only POST to a canned query" in str(exception)
    ):
        return render_error(
            datasette,
            request,
            MethodNotAllowed("This page cannot be posted to: only canned queries that write accept POST."),
        )
    return None
