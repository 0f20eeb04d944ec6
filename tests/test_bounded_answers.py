"""One visitor cannot take the site down: huge values and huge answers are refused at once with a
4xx while other visitors are served by the same worker processes; SQL that reaches past the data
(memory addresses, the server's files and queries) is refused; the SQL time limit in effect is
the one the site states."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from aggregator.publish import free_port, serve_command, served, wait_until_answering
from aggregator.snapshot import snapshot
from aggregator.web.connections import MAX_ANSWER_BYTES
from aggregator.web.settings import SITE_SETTINGS
from tests.conftest import FIXTURES, run_cli, stock_datasette_command

FOUR = FIXTURES / "opintopolku_fi" / "four_offerings" / "responses"
HUGE = {
    "a 500 MB blob": "select zeroblob(500000000)",
    "a 100 MB string": "select printf('%.*c', 100000000, 'x')",
    "a 2 GB string (SQLite pads it out of reach of the time limit)": "select printf('%.*c', 2000000000, 'x')",
    "a 1 GB string by its width": "select format('%1000000000d', 1)",
    "1,000 rows of 100 kB": "with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000) "
    "select i, printf('%.*c', 100000, 'x') from n",
    "a string grown past the limit": "select replace(printf('%.*c', 900000, 'x'), 'x', 'xx')",
}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bounded")
    db = folder / "aggregator.db"
    run_cli("--db", str(db), "crawl", "opintopolku_fi", "--replay", str(FOUR))
    return snapshot(db, folder / "public" / "aggregator.db")


@pytest.fixture(scope="module")
def site(published):
    """`aggregator serve --immutable` of the snapshot, for the tests that need no worker count."""
    with served(str(published), immutable=True) as base:
        yield base


def get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def sql_url(base: str, sql: str, fmt: str = ".json") -> str:
    return f"{base}/aggregator{fmt}?" + urllib.parse.urlencode({"sql": sql})


def worker_processes(pid: int) -> set[int]:
    """The processes uvicorn started for its workers: the children of the server process."""
    children = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children |= {int(child) for child in (task / "children").read_text().split()}
    return children


def test_huge_values_are_refused_at_once_while_another_visitor_is_served_by_the_same_workers(published):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = serve_command(sys.executable, str(published), "127.0.0.1", port, workers=2, immutable=True)
    with tempfile.TemporaryFile("w+") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True)
        try:
            wait_until_answering(base, server, 60, lambda: output.seek(0) or output.read())
            before = worker_processes(server.pid)
            assert len(before) >= 2, before
            served_pages, failures, stop = [], [], threading.Event()

            def visitor():
                while not stop.is_set():
                    started = time.monotonic()
                    try:
                        status, body = get(base + "/aggregator/courses.json?_size=5&_shape=array")
                        rows = json.loads(body)
                        assert status == 200 and len(rows) == 4, (status, body[:200])
                        served_pages.append(time.monotonic() - started)
                    except Exception as exc:  # noqa: BLE001 - every failure of the other visitor counts
                        failures.append(repr(exc))

            other = threading.Thread(target=visitor)
            other.start()
            refused = {}
            try:
                for _ in range(3):  # so that each worker process gets some
                    for name, sql in HUGE.items():
                        started = time.monotonic()
                        status, body = get(sql_url(base, sql))
                        took = time.monotonic() - started
                        refused.setdefault(name, []).append((status, took, len(body)))
                        assert 400 <= status < 500, (name, status, body[:300])
                        assert len(body) < 10_000, (name, len(body))
                        error = json.loads(body)["error"]
                        assert "too big" in error or "too large" in error, (name, error)
                        assert took < 1.0, (name, took)
                    # the HTML page of the query says so too
                    status, body = get(sql_url(base, HUGE["a 500 MB blob"], fmt=""))
                    assert status == 400 and b"string or blob too big" in body
            finally:
                stop.set()
                other.join()
            assert not failures, failures[:3]
            assert len(served_pages) >= 3, served_pages
            assert worker_processes(server.pid) == before
            print(
                {
                    name: [f"{status} in {took * 1000:.0f} ms, {size} B" for status, took, size in r]
                    for name, r in refused.items()
                }
            )
            print(f"other visitor: {len(served_pages)} pages, slowest {max(served_pages) * 1000:.0f} ms")
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_sql_reaching_past_the_data_is_refused_and_paths_are_not_shown(published, site):
    base = site
    for sql in (
        "select fts3_tokenizer('simple')",
        "select fts3_tokenizer('mine', x'0000000000000000')",
        "select * from sqlite_stmt",
        "select load_extension('/lib/x86_64-linux-gnu/libc.so.6')",
    ):
        status, body = get(sql_url(base, sql))
        assert status == 400 and (b"not authorized" in body or b"prohibited" in body), (sql, status, body[:300])
    status, body = get(sql_url(base, "select * from pragma_database_list"))
    assert status == 200 and json.loads(body)["rows"] == [[0, "main", None]]
    # ordinary SQL still works, printf included
    status, body = get(sql_url(base, "select printf('%d listings, %5.1f%%', count(*), 12.345) from courses"))
    assert status == 200 and json.loads(body)["rows"] == [["4 listings,  12.3%"]]
    databases = get(base + "/-/databases.json")[1].decode()
    assert str(published.parent) not in databases and "path" not in json.loads(databases)[0]
    assert json.loads(databases)[0]["name"] == "aggregator"
    for page in ("/-/threads", "/-/threads.json", "/-/messages", "/-/allow-debug", "/-/patterns"):
        assert get(base + page)[0] == 404, page
    for page in ("/-/versions.json", "/-/plugins.json", "/-/settings.json", "/-/metadata.json", "/-/actor.json"):
        status, body = get(base + page)
        assert status == 200 and str(Path(sys.prefix)) not in body.decode() and "/tmp" not in body.decode(), page


def test_every_page_answers_a_post_with_405(site):
    base = site
    for path in (
        "/",
        "/aggregator",
        "/aggregator/courses",
        "/aggregator/courses.json",
        "/aggregator/new_listings",
        "/aggregator/new_listings.json",
        "/-/insert",
        "/aggregator/courses/-/insert",
        "/-/messages",
    ):
        for method in ("POST", "PUT", "DELETE"):
            request = urllib.request.Request(base + path, data=b"a=1", method=method)
            try:
                urllib.request.urlopen(request, timeout=30)
                raise AssertionError(f"{method} {path} was accepted")
            except urllib.error.HTTPError as error:
                assert error.code == 405, (method, path, error.code)
                assert error.headers["Allow"] == "GET, HEAD"
                body = error.read().decode()
                assert "read-only" in body
                assert ("<h1>" in body) != path.endswith(".json"), body[:300]
    assert get(base + "/aggregator/courses.json")[0] == 200


def test_the_answer_budget_is_per_statement_and_above_a_full_page():
    from aggregator.web.connections import AnswerTooLarge, bound_answers

    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    bound_answers(conn)
    rows = conn.execute(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000) "
        "select i, printf('%.*c', 10000, 'x') as text from n"
    ).fetchall()
    assert len(rows) == 1000 and rows[-1]["text"] == "x" * 10000  # 10 MB: Datasette's Row, whole
    for _ in range(3):  # a new statement, a new budget
        assert len(conn.execute(f"select printf('%.*c', {MAX_ANSWER_BYTES // 30}, 'x')").fetchall()) == 1
    with pytest.raises(AnswerTooLarge):
        conn.execute(
            "with recursive n(i) as (select 1 union all select i + 1 from n where i < 30) "
            f"select printf('%.*c', {MAX_ANSWER_BYTES // 25}, 'x') from n"
        ).fetchall()


COUNTING = (
    "with recursive c(x) as (select 1 union all select x + 1 from c where x < cast(:n as integer)) "
    "select count(*) from c"
)


def count_on(base: str, n: int) -> tuple[int, dict, float]:
    url = f"{base}/aggregator.json?" + urllib.parse.urlencode({"sql": COUNTING, "n": n})
    started = time.monotonic()
    status, body = get(url)
    return status, json.loads(body), time.monotonic() - started


def test_the_sql_time_limit_in_effect_is_the_stated_one_under_both_ways_of_serving(published):
    limit = SITE_SETTINGS["sql_time_limit_ms"] / 1000
    assert limit >= 2.5  # the stated 3 s, clear of Datasette's default 1 s
    stock = stock_datasette_command(published)
    with served(str(published), command=stock) as plain, served(str(published), immutable=True) as ours:
        for base in (plain, ours):
            settings = json.loads(get(base + "/-/settings.json")[1])
            assert settings["sql_time_limit_ms"] == SITE_SETTINGS["sql_time_limit_ms"]
            # a query over Datasette's default limit (1 s) and within the site's, whatever this
            # machine's speed now: each try aims at 2 s from the last one's time
            n, answered, tries = 1_000_000, None, []
            for _ in range(8):
                status, page, took = count_on(base, n)
                tries.append((n, status, round(took, 2)))
                if status == 200:
                    assert page["rows"] == [[n]], page
                    if took > 1.2:
                        answered = took
                        break
                    n = int(n * 2 / max(took, 0.05))
                else:  # never stopped before the stated limit
                    assert page["title"] == "SQL Interrupted" and took > limit - 0.2, (base, took, page)
                    n = int(n * 0.6)
            assert answered, f"{base}: no try took between 1.2 s and the limit: {tries}"
            # ten times as long: stopped at the limit
            status, page, stopped = count_on(base, n * 10)
            assert status == 400 and page["title"] == "SQL Interrupted", (status, page)
            # stopped at the limit (+ the answer's way on a busy machine), not after the ~20 s it needs
            assert limit - 0.2 < stopped < 2 * limit + 4, stopped
            print(f"{base}: {n} rows counted in {answered:.2f} s; ten times as many stopped after {stopped:.2f} s")
