"""A replay server: serves recorded responses from a folder on 127.0.0.1, 404 for the rest.

Folder layout:

- any file ``DIR/<url path>`` is served for a GET of that path (query string ignored), with a
  content type from its extension or first byte (JSON ``{``/``[``, XML ``<``);
- ``DIR/manifest.json`` (optional) lists responses that need more than that, matched first:
  ``[{"path": "/x", "query": {"page": "2"}, "status": 500, "headers": {...},
  "body_file": "rel/path" | "body": <str or JSON>, "delay": seconds}]``; ``query`` matches when
  every given parameter has that value (``"*"``: any value, but present), so one entry can
  answer a whole family of requests;
  ``path`` ending in ``*`` matches every path with that prefix (e.g. a 500 for a whole API).

Recorded web sites: a top-level folder named after a host (``DIR/www.centria.fi/...``) holds
that site's pages under their real paths. Absolute links to any recorded host in a served HTML,
XML or JSON body (``https://www.centria.fi/koulutus/x``) are rewritten to this server
(``http://127.0.0.1:PORT/www.centria.fi/koulutus/x``), so a crawl of a recorded site never
leaves the machine. Files are served with an ``ETag`` and ``Last-Modified`` (the manifest's
``"last_modified"`` or the file's time), and a conditional request that matches gets a 304.
The server's own ``/robots.txt`` (what a crawler reads) holds the recorded sites' rules with
their paths under the host folders.

Every request is logged (``server.requests``) so tests can assert on paths and headers.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
import threading
import time
from email.utils import formatdate
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


def _content_type(path: Path, body: bytes) -> str:
    guessed = mimetypes.guess_type(path.name)[0]
    if guessed:
        return guessed + (
            "; charset=utf-8" if guessed.startswith(("text/", "application/json", "application/xml")) else ""
        )
    start = body.lstrip()[:64].lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "text/html; charset=utf-8"
    head = start[:1]
    if head in (b"{", b"["):
        return "application/json; charset=utf-8"
    if head == b"<":
        return "application/xml; charset=utf-8"
    return "application/octet-stream"


class LoopbackServer:
    """An HTTP server on the loopback interface that answers GETs with ``respond(path)`` and
    logs every request (``requests``: path, status, headers, monotonic time)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if not host.startswith("127.") and host not in ("localhost", "::1"):
            raise ValueError("the replay server only listens on the loopback interface")
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                arrived = time.monotonic()
                status, headers, body = server.handle(self.path, dict(self.headers))
                server.requests.append(
                    {"path": self.path, "status": status, "headers": dict(self.headers), "at": arrived}
                )
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout): nothing to answer

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    def respond(self, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    def handle(self, raw_path: str, request_headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        return self.respond(raw_path)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class ReplayServer(LoopbackServer):
    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            self.httpd.server_close()
            raise FileNotFoundError(f"replay folder not found: {self.root}")
        manifest = self.root / "manifest.json"
        self.manifest: list[dict[str, Any]] = json.loads(manifest.read_text("utf-8")) if manifest.exists() else []
        self.public_base = self.base_url

    @cached_property
    def recorded_hosts(self) -> list[str]:
        """Top-level folders named like a host: recorded web sites (read once: the folder is
        served as it was when the server started)."""
        return sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", p.name)
        )

    @cached_property
    def _recorded_links(self) -> re.Pattern[bytes] | None:
        hosts = self.recorded_hosts
        return (
            re.compile(rb"https?://(" + b"|".join(re.escape(h.encode()) for h in hosts) + rb")(?=[/\"'<\s?#]|$)")
            if hosts
            else None
        )

    def rewrite_links(self, body: bytes, content_type: str) -> bytes:
        """Absolute links to recorded hosts, pointed at this server."""
        pattern = self._recorded_links
        if pattern is None or not content_type.startswith(
            ("text/", "application/xml", "application/json", "application/ld+json", "application/xhtml")
        ):
            return body
        return pattern.sub(lambda m: self.public_base.encode() + b"/" + m.group(1), body)

    def recorded_robots(self) -> bytes:
        """The recorded sites' robots.txt rules, as this server's own (a crawler asks the
        server's root): each site's Allow/Disallow paths under its host folder, its Crawl-delay
        and Sitemap lines as they are (links rewritten)."""
        parts = []
        for host in self.recorded_hosts:
            file = self.root / host / "robots.txt"
            if not file.is_file():
                continue
            lines = []
            for line in file.read_text("utf-8", "replace").splitlines():
                match = re.match(r"\s*(allow|disallow)\s*:\s*(\S*)", line, re.IGNORECASE)
                lines.append(f"{match[1]}: /{host}{match[2]}" if match and match[2].startswith("/") else line)
            parts.append("\n".join(lines))
        return self.rewrite_links("\n\n".join(parts).encode("utf-8"), "text/plain") if parts else b""

    def handle(self, raw_path: str, request_headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        status, headers, body = self.respond(raw_path)
        if status != 200:
            return status, headers, body
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, **headers}
        lowered = {k.lower(): v for k, v in request_headers.items()}
        if lowered.get("if-none-match") == headers["ETag"] or (
            "if-none-match" not in lowered
            and lowered.get("if-modified-since")
            and lowered["if-modified-since"] == headers.get("Last-Modified")
        ):
            return 304, {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}, b""
        return status, headers, body

    def respond(self, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        for entry in self.manifest:
            wanted_path = entry.get("path", "")
            if wanted_path.endswith("*") and path.startswith(wanted_path[:-1]):
                pass
            elif wanted_path != path:
                continue
            wanted = {k: str(v) for k, v in (entry.get("query") or {}).items()}
            if any(query.get(k) != v if v != "*" else k not in query for k, v in wanted.items()):
                continue
            if "body_file" in entry:
                file = self.root / entry["body_file"]
                body = file.read_bytes()
            else:
                raw = entry.get("body", "")
                body = (raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)).encode("utf-8")
                file = Path(path)
            headers = {"Content-Type": _content_type(file, body), **entry.get("headers", {})}
            if entry.get("delay"):
                time.sleep(float(entry["delay"]))
            return int(entry.get("status", 200)), headers, self.rewrite_links(body, headers["Content-Type"])
        if path == "/robots.txt" and not (self.root / "robots.txt").is_file():
            robots = self.recorded_robots()
            if robots:
                return 200, {"Content-Type": "text/plain; charset=utf-8"}, robots
        candidate = (self.root / path.lstrip("/")).resolve()
        if candidate.is_dir() and (candidate / "index.html").is_file():
            candidate = candidate / "index.html"  # a page recorded at a folder address (/koulutus/x/)
        if candidate.is_file() and self.root in candidate.parents:
            body = candidate.read_bytes()
            content_type = _content_type(candidate, body)
            modified = formatdate(candidate.stat().st_mtime, usegmt=True)
            return (
                200,
                {"Content-Type": content_type, "Last-Modified": modified},
                self.rewrite_links(body, content_type),
            )
        return 404, {"Content-Type": "application/json"}, b'{"error": "not recorded"}'
