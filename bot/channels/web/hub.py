"""In-process publish/subscribe for the event streams: a topic per web chat, one for the support desk."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

DESK = "desk"  # any ticket changed: inboxes and ticket pages look again
QUEUE_SIZE = 100  # a stream that falls this far behind drops events (its page reloads the transcript)


def chat_topic(chat_id: str) -> str:
    """The topic a web chat's messages are published on."""
    return f"chat:{chat_id}"


class Hub:
    """Topic -> subscribers' queues; runs on the event loop only."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def subscribe(self, topic: str) -> asyncio.Queue[dict[str, Any]]:
        """A queue receiving the topic's events from now on (unsubscribe when done)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers[topic].add(queue)
        return queue

    def unsubscribe(self, topic: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Stop receiving a topic's events."""
        subscribers = self._subscribers.get(topic)
        if subscribers is not None:
            subscribers.discard(queue)
            if not subscribers:
                del self._subscribers[topic]

    def publish(self, topic: str, event: dict[str, Any]) -> int:
        """Give the event to every subscriber of the topic; returns how many got it."""
        delivered = 0
        for queue in list(self._subscribers.get(topic, ())):
            try:
                queue.put_nowait(event)
                delivered += 1
            except asyncio.QueueFull:
                pass
        return delivered

    def listeners(self, topic: str) -> int:
        """How many streams listen to a topic."""
        return len(self._subscribers.get(topic, ()))
