"""Datasette publishing: metadata for the database actually served."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import yaml

from aggregator.webcache import ResponseCache

METADATA = Path(__file__).resolve().parent.parent / "datasette_metadata.yml"
METADATA_DB_NAME = "aggregator"


def metadata_for(db_path: str) -> dict[str, Any]:
    """datasette_metadata.yml with its database section named after ``db_path``'s file stem
    (Datasette keys table metadata by database name, which is the file name)."""
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    name = Path(db_path).stem
    databases = metadata.get("databases", {})
    if name != METADATA_DB_NAME and METADATA_DB_NAME in databases:
        databases[name] = databases.pop(METADATA_DB_NAME)
    return metadata


STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"


# Datasette settings for the public site, tuned at 300,000 listings (bench/bench_datasette.py).
SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    # suggesting facets runs a query per column on every table page: seconds at 300,000 rows
    "suggest_facets": False,
    # long descriptions cut in HTML tables (the row page and JSON/CSV keep them whole):
    # a page of 100 full rows was close to a megabyte of HTML to render
    "truncate_cells_html": 200,
    "default_page_size": 50,
    # a streamed CSV of every listing is what researchers download: at 300,000 listings it is
    # about 450 MB, and Datasette's default 100 MB limit cut it off after 65,000 rows
    "max_csv_mb": 0,
}

SERVE_DB_ENV = "AGGREGATOR_SERVE_DB"
SERVE_IMMUTABLE_ENV = "AGGREGATOR_SERVE_IMMUTABLE"
SERVE_CACHE_MB_ENV = "AGGREGATOR_SERVE_CACHE_MB"


def build_datasette(db_path: str, *, immutable: bool = False):
    """The Datasette the public sees: the project's metadata, settings and stylesheet.

    ``immutable`` opens the file read-only without locking and counts its tables once, which is
    only safe for a file nobody writes while it is served (a published snapshot)."""
    from datasette.app import Datasette

    from aggregator import connections, errors, facets

    errors.install()  # a bad sort or a POST to a table page: 400 and 405, not 500
    facets.install()  # facets counted together or from a snapshot's counts, topic pages
    connections.install()  # a snapshot read memory-mapped
    datasette = Datasette(
        files=[] if immutable else [db_path],
        immutables=[db_path] if immutable else [],
        metadata=metadata_for(db_path),
        settings=SETTINGS,
        static_mounts=[("assets", str(STATIC))],
        template_dir=str(TEMPLATES),
    )
    if immutable:
        # the same snapshot, its pages counted from its facet counts
        name = next(name for name, db in datasette.databases.items() if db.path == db_path)
        datasette.remove_database(name)
        datasette.add_database(facets.PublishedDatabase(datasette, db_path, is_mutable=False), name=name)
    return datasette


def create_app():
    """ASGI application factory for uvicorn's worker processes (configured through the
    environment because each worker imports it afresh)."""
    immutable = os.environ.get(SERVE_IMMUTABLE_ENV) == "1"
    app = build_datasette(os.environ[SERVE_DB_ENV], immutable=immutable).app()
    cache_mb = int(os.environ.get(SERVE_CACHE_MB_ENV) or 0)
    if immutable and cache_mb > 0:
        # only a snapshot nobody writes may answer from a cache: its pages cannot change
        app = ResponseCache(app, max_bytes=cache_mb * 2**20)
    return app


def serve(db_path: str, host: str, port: int, *, workers: int = 1, immutable: bool = False, cache_mb: int = 0) -> None:
    """Serve with uvicorn. Datasette renders pages in Python under one GIL per process, so one
    worker process per core is what lets concurrent visitors use every core."""
    import uvicorn

    os.environ[SERVE_DB_ENV] = str(Path(db_path).resolve())
    os.environ[SERVE_IMMUTABLE_ENV] = "1" if immutable else "0"
    os.environ[SERVE_CACHE_MB_ENV] = str(cache_mb)
    uvicorn.run(
        "aggregator.publish:create_app", factory=True, host=host, port=port,
        workers=workers, log_level="warning", timeout_graceful_shutdown=5,
    )


def serve_command(python: str, db_path: str, host: str, port: int, *, workers: int = 1, immutable: bool = False, cache_mb: int = 0) -> list[str]:
    """The command line that serves ``db_path`` (for benchmarks and supervisors)."""
    command = [python, "-m", "aggregator", "--db", db_path, "serve", "--host", host, "--port", str(port), "--workers", str(workers)]
    return command + (["--immutable", "--cache-mb", str(cache_mb)] if immutable else [])


@contextmanager
def served(db_path: str, *, workers: int = 1, immutable: bool = False, cache_mb: int = 0, start_timeout: float = 60) -> Iterator[str]:
    """`aggregator serve` in a child process on a free 127.0.0.1 port, for benchmarks and tests:
    yields its base URL once it answers, stops it afterwards. A server that exits or does not
    answer in ``start_timeout`` seconds raises, with its output."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as output:
        command = serve_command(sys.executable, str(db_path), "127.0.0.1", port, workers=workers, immutable=immutable, cache_mb=cache_mb)
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                try:
                    urllib.request.urlopen(base + "/-/versions.json", timeout=5).read()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        output.seek(0)
                        raise RuntimeError(f"`{' '.join(command)}` did not start serving:\n{output.read()[-3000:]}") from None
                    time.sleep(0.25)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)
