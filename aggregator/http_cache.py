"""deploy/nginx.conf run in front of a local server, for the tests and benchmarks: the same cache
rules as the deployment, on free 127.0.0.1 ports, in a throwaway folder."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aggregator.publish import free_port, wait_until_answering

DEPLOY_CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def local_config(upstream: str, port: int, folder: Path) -> str:
    """deploy/nginx.conf pointed at ``upstream`` (http://127.0.0.1:PORT), listening on ``port``,
    with its cache and logs in ``folder``, inside a minimal main configuration."""
    site = DEPLOY_CONFIG.read_text("utf-8")
    site = site.replace("http://127.0.0.1:8001", upstream)
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{port};", site)
    site = site.replace("/var/cache/nginx/aggregator", str(folder / "cache"))
    temp = folder / "temp"
    return f"""daemon off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{site}
}}
"""


@contextmanager
def nginx_in_front(upstream: str, start_timeout: float = 20) -> Iterator[str]:
    """Run nginx with the deployment's cache rules in front of ``upstream``; yields its base URL."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx-light)")
    folder = Path(tempfile.mkdtemp(prefix="aggregator-nginx-"))
    # started by root, nginx's workers run as an unprivileged user: they write the cache and temp files
    folder.chmod(0o755)
    for name in ("temp", "cache"):
        (folder / name).mkdir()
        (folder / name).chmod(0o777)
    port = free_port()
    config = folder / "nginx.conf"
    config.write_text(local_config(upstream, port, folder), "utf-8")
    process = subprocess.Popen(
        [binary, "-c", str(config), "-p", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"

    def why_not() -> str:
        log = (folder / "error.log").read_text() if (folder / "error.log").exists() else ""
        return f"nginx did not start: {process.stderr.read() if process.poll() is not None else ''}{log}"

    try:
        wait_until_answering(base, process, start_timeout, why_not)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
