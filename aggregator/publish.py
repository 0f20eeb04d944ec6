"""Datasette publishing: metadata for the database actually served."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

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
        # links of the site's description to pages of the database
        if metadata.get("description_html"):
            metadata["description_html"] = metadata["description_html"].replace(
                f'href="/{METADATA_DB_NAME}/', f'href="/{name}/'
            )
    return metadata


def site_plugin_installed() -> bool:
    """Whether the site's Datasette plugin (aggregator.web) is registered, as it is through the
    project's ``datasette`` entry point once the project is installed."""
    from datasette.plugins import pm

    import aggregator.web

    return pm.is_registered(aggregator.web)


SERVE_DB_ENV = "AGGREGATOR_SERVE_DB"
SERVE_IMMUTABLE_ENV = "AGGREGATOR_SERVE_IMMUTABLE"


def build_datasette(db_path: str, *, immutable: bool = False):
    """The Datasette the public sees: stock Datasette with the project's metadata and the site's
    settings (``aggregator.web.settings``); the site's templates, stylesheet, topics facet and
    bounds come from the plugin (aggregator.web), exactly as under ``datasette serve``.

    ``immutable`` opens the file read-only without locking and counts its tables once, which is
    only safe for a file nobody writes while it is served (a published snapshot)."""
    from datasette.app import Datasette

    from aggregator.web.settings import site_settings

    if not site_plugin_installed():
        raise RuntimeError(
            "the site's Datasette plugin is not registered: install the project "
            "(`bash scripts/setup-venv.sh`, or `pip install -e .`)"
        )
    return Datasette(
        files=[] if immutable else [db_path],
        immutables=[db_path] if immutable else [],
        metadata=metadata_for(db_path),
        settings=site_settings(all_immutable=immutable),
    )


def create_app():
    """ASGI application factory for uvicorn's worker processes (configured through the
    environment because each worker imports it afresh)."""
    return build_datasette(os.environ[SERVE_DB_ENV], immutable=os.environ.get(SERVE_IMMUTABLE_ENV) == "1").app()


def serve(db_path: str, host: str, port: int, *, workers: int = 1, immutable: bool = False) -> None:
    """Serve with uvicorn. Datasette renders pages in Python under one GIL per process, so one
    worker process per core is what lets concurrent visitors use every core."""
    import uvicorn

    os.environ[SERVE_DB_ENV] = str(Path(db_path).resolve())
    os.environ[SERVE_IMMUTABLE_ENV] = "1" if immutable else "0"
    uvicorn.run(
        "aggregator.publish:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )


def serve_command(
    python: str, db_path: str, host: str, port: int, *, workers: int = 1, immutable: bool = False
) -> list[str]:
    """The command line that serves ``db_path`` (for benchmarks and supervisors)."""
    command = [
        python,
        "-m",
        "aggregator",
        "--db",
        db_path,
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return command + (["--immutable"] if immutable else [])


def free_port() -> int:
    """A 127.0.0.1 port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(base: str, process: subprocess.Popen, timeout: float, why_not: Callable[[], str]) -> None:
    """Wait for the server at ``base`` (run by ``process``) to answer ``/-/versions.json``; raise
    with ``why_not()`` when the process exits or ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=5).read()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(why_not()) from None
            time.sleep(0.25)


@contextmanager
def served(
    db_path: str,
    *,
    workers: int = 1,
    immutable: bool = False,
    start_timeout: float = 60,
    command: list[str] | None = None,
) -> Iterator[str]:
    """`aggregator serve` (or ``command``, with ``{port}`` in it) in a child process on a free
    127.0.0.1 port, for benchmarks and tests: yields its base URL once it answers, stops it
    afterwards. A server that exits or does not
    answer in ``start_timeout`` seconds raises, with its output."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as output:
        if command is None:
            command = serve_command(
                sys.executable, str(db_path), "127.0.0.1", port, workers=workers, immutable=immutable
            )
        else:
            command = [part.replace("{port}", str(port)) for part in command]
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True)

        def why_not() -> str:
            output.seek(0)
            return f"`{' '.join(command)}` did not start serving:\n{output.read()[-3000:]}"

        try:
            wait_until_answering(base, server, start_timeout, why_not)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)
