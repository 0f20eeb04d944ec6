"""A response cache for Datasette serving a published snapshot.

A snapshot does not change while it is served (the nightly job publishes a new file and restarts
the server), so a page is a function of its URL: the home page, the default facets and popular
searches are computed once per worker instead of once per visitor. Only plain public GET
responses are kept: status 200, no cookies either way, no ``_trace``, at most ``max_entry_bytes``
(a streamed CSV is passed through, not kept). Entries expire after ``ttl`` seconds because some
canned queries depend on today's date.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any, Awaitable, Callable

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ResponseCache:
    """ASGI middleware: least-recently-used responses up to ``max_bytes`` of bodies."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = 256 * 2**20, max_entry_bytes: int = 4 * 2**20, ttl: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.ttl = ttl
        self.clock = clock
        self.entries: OrderedDict[tuple, tuple[float, Message, bytes]] = OrderedDict()
        # pages being computed: visitors asking for the same page meanwhile wait for it instead
        # of computing it again (after each restart every popular page is asked for at once)
        self.computing: dict[tuple, asyncio.Event] = {}
        self.size = 0
        self.hits = 0
        self.misses = 0

    def _key(self, scope: Scope) -> tuple | None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        headers = dict(scope.get("headers") or [])
        if b"cookie" in headers or b"authorization" in headers or b"_trace" in scope.get("query_string", b""):
            return None
        # Datasette writes absolute links from the Host header, and HEAD has no body
        return (scope["method"], headers.get(b"host", b""), scope.get("root_path", ""), scope["path"], scope.get("query_string", b""))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        if await self._answer_from_cache(key, send):
            return
        computing = self.computing.get(key)
        if computing is not None:
            await computing.wait()
            if await self._answer_from_cache(key, send):
                return
        self.misses += 1
        done = self.computing.setdefault(key, asyncio.Event())
        try:
            await self._compute(key, scope, receive, send, done)
        finally:
            done.set()
            if self.computing.get(key) is done:
                del self.computing[key]

    async def _answer_from_cache(self, key: tuple, send: Send) -> bool:
        cached = self.entries.get(key)
        if cached is None or self.clock() - cached[0] >= self.ttl:
            return False
        self.entries.move_to_end(key)
        self.hits += 1
        await send(cached[1])
        await send({"type": "http.response.body", "body": cached[2], "more_body": False})
        return True

    async def _compute(self, key: tuple, scope: Scope, receive: Receive, send: Send, done: asyncio.Event) -> None:
        start: Message | None = None
        chunks: list[bytes] | None = []
        size = 0

        async def record(message: Message) -> None:
            nonlocal start, chunks, size
            if message["type"] == "http.response.start":
                start = message
                if message.get("status") != 200 or not self._cacheable_headers(message.get("headers") or []):
                    chunks = None
                    done.set()  # nothing to wait for: whoever waits computes their own
            elif message["type"] == "http.response.body" and chunks is not None:
                size += len(message.get("body", b""))
                if size > self.max_entry_bytes:
                    chunks = None
                    done.set()
                else:
                    chunks.append(message.get("body", b""))
                    if not message.get("more_body", False):
                        self._store(key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, record)

    @staticmethod
    def _cacheable_headers(headers: list[tuple[bytes, bytes]]) -> bool:
        for name, value in headers:
            name = name.lower()
            if name == b"set-cookie":
                return False
            if name == b"cache-control" and (b"no-store" in value or b"private" in value):
                return False
        return True

    def _store(self, key: tuple, start: Message | None, body: bytes) -> None:
        if start is None or len(body) > self.max_bytes:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old[2])
        self.entries[key] = (self.clock(), start, body)
        self.size += len(body)
        while self.size > self.max_bytes:
            _, (_, _, evicted) = self.entries.popitem(last=False)
            self.size -= len(evicted)
