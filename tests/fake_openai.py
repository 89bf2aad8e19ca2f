"""A local OpenAI-compatible stub (aiohttp on 127.0.0.1) that scripts replies, errors and hangs."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web

EMBEDDING_DIMENSION = 256
GATE_MAX_S = 20.0  # a ('gate', text) reply waits for `gate` to be set, but never longer than this


def hashed_bag_of_words(text: str) -> np.ndarray:
    """A deterministic stand-in for a semantic embedding: words (crudely stemmed) hashed into buckets."""
    vector = np.zeros(EMBEDDING_DIMENSION, dtype=np.float32)
    for word in re.findall(r"[a-z0-9]+", text.casefold()):
        stem = word[:6]
        vector[int(hashlib.md5(stem.encode()).hexdigest(), 16) % EMBEDDING_DIMENSION] += 1.0
    return vector


@dataclass
class FakeOpenAI:
    """Scripted chat completions: queue ('text', s), ('status', 500), ('hang', seconds) or ('gate', s)."""

    # ('gate', s) answers s once the test sets `gate`: the model is thinking until the test says otherwise
    # `routes`: scripts for requests whose system prompt contains a marker (one prompt's calls, whatever else runs)

    script: list[tuple[str, Any]] = field(default_factory=list)
    routes: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    default: str = "I don't know"
    requests: list[dict[str, Any]] = field(default_factory=list)
    embedding_requests: list[dict[str, Any]] = field(default_factory=list)
    embeddings_fail: bool = False
    port: int = 0
    gate: threading.Event = field(default_factory=threading.Event)

    def reply(self, *items: tuple[str, Any]) -> None:
        self.script.extend(items)

    def route(self, marker: str, *items: tuple[str, Any]) -> None:
        """Script the replies to requests whose system prompt contains `marker` (the default once used up)."""
        self.routes.setdefault(marker, []).extend(items)

    def _next(self, body: dict[str, Any]) -> tuple[str, Any]:
        system = " ".join(str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "system")
        for marker, items in self.routes.items():
            if marker in system:
                return items.pop(0) if items else ("text", self.default)
        return self.script.pop(0) if self.script else ("text", self.default)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        kind, value = self._next(body)
        if kind == "status":
            return web.json_response({"error": {"message": "scripted failure", "type": "server_error"}},
                                     status=int(value))
        if kind == "hang":
            await asyncio.sleep(float(value))
            value = self.default
        if kind == "gate":
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, GATE_MAX_S)
        return web.json_response({
            "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": value}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        })

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.embedding_requests.append(body)
        if self.embeddings_fail:
            return web.json_response({"error": {"message": "scripted failure", "type": "server_error"}}, status=500)
        texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
        if not all(isinstance(t, str) for t in texts):
            return web.json_response({"error": {"message": "send text, not token ids"}}, status=400)
        data = []
        for n, text in enumerate(texts):
            vector = hashed_bag_of_words(text)
            encoded: Any = (base64.b64encode(vector.astype("<f4").tobytes()).decode()
                            if body.get("encoding_format") == "base64" else vector.tolist())
            data.append({"object": "embedding", "index": n, "embedding": encoded})
        return web.json_response({"object": "list", "data": data, "model": body["model"],
                                  "usage": {"prompt_tokens": 10 * len(texts), "total_tokens": 10 * len(texts)}})

    @contextmanager
    def running(self) -> Iterator[FakeOpenAI]:
        """Serve on a background thread's event loop (the engine calls the LLM from worker threads)."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        runner_box: dict[str, web.AppRunner] = {}

        async def start() -> None:
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._completions)
            app.router.add_post("/v1/embeddings", self._embeddings)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            runner_box["r"] = runner
            ready.set()

        thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
        thread.start()
        ready.wait(10)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(runner_box["r"].cleanup(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
