"""The broker: publish "what changed" events, fan them out to the open streams.

``LocalBroker`` (the embedded default) fans out within this process: every open stream has
its own small queue. ``RedisBroker`` (``REDIS_URL`` set) publishes to a Redis channel, and one
listener per process fans out what any instance published; while Redis is unreachable it
delivers locally only and reports itself unhealthy, so streams close and screens poll
(static/js/live.js) until it is back.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import queue
import threading
import time

from flask import current_app

log = logging.getLogger(__name__)

CLOSE = object()  # put into a stream's queue: the stream ends (its client reconnects)


class Subscription:
    """One open stream's queue of event batches."""

    def __init__(self, size: int = 256) -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=size)

    def put(self, item) -> None:
        try:
            self.queue.put_nowait(item)
        except queue.Full:
            # a stream that does not keep up ends; its client reconnects and re-fetches
            self.close()

    def close(self) -> None:
        try:
            while True:
                self.queue.get_nowait()
        except queue.Empty:
            pass
        self.queue.put_nowait(CLOSE)

    def get(self, timeout: float):
        """The next batch, ``CLOSE``, or None after ``timeout`` seconds of quiet."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None


class LocalBroker:
    """In-process fan-out (thread- and greenlet-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: set[Subscription] = set()
        self._ids = itertools.count(1)

    @property
    def healthy(self) -> bool:
        return True

    @property
    def open_streams(self) -> int:
        with self._lock:
            return len(self._streams)

    def subscribe(self) -> Subscription:
        subscription = Subscription()
        with self._lock:
            self._streams.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._streams.discard(subscription)

    def publish(self, events: list[dict]) -> None:
        self.deliver(events)

    def deliver(self, events: list[dict]) -> None:
        stamped = [{**event, "id": next(self._ids), "at": event.get("at") or time.time()}
                   for event in events]
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            stream.put(stamped)

    def close_all(self) -> None:
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            stream.close()


class RedisBroker(LocalBroker):
    """Fan-out between instances through one Redis pub/sub channel."""

    CHANNEL = "portal:live"

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2,
                                           health_check_interval=10)
        self._healthy = False
        self._tried = threading.Event()  # the listener's first try at Redis is over
        self._listener: threading.Thread | None = None
        self._start_lock = threading.Lock()

    @property
    def healthy(self) -> bool:
        self._ensure_listener()
        self._tried.wait(2)  # the first stream of a process waits for the listener to connect
        return self._healthy

    def subscribe(self) -> Subscription:
        self._ensure_listener()
        return super().subscribe()

    def publish(self, events: list[dict]) -> None:
        stamped = [{**event, "at": time.time()} for event in events]
        try:
            self._redis.publish(self.CHANNEL, json.dumps(stamped))
        except Exception:  # noqa: BLE001 - Redis down: this instance's screens still hear it
            log.warning("live: Redis unreachable; event delivered on this instance only")
            self.deliver(stamped)

    def _ensure_listener(self) -> None:
        if self._listener is not None and self._listener.is_alive():
            return
        with self._start_lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(target=self._listen, name="live-redis",
                                                  daemon=True)
                self._listener.start()

    def _listen(self) -> None:
        delay = 0.5
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.CHANNEL)
                self._healthy = True
                self._tried.set()
                delay = 0.5
                while True:
                    message = pubsub.get_message(timeout=5)
                    if message and message.get("type") == "message":
                        try:
                            self.deliver(json.loads(message["data"]))
                        except (ValueError, TypeError):
                            log.warning("live: an unreadable message on %s", self.CHANNEL)
            except Exception:  # noqa: BLE001 - reconnect with backoff, screens poll meanwhile
                if self._healthy:
                    log.warning("live: lost Redis; streams close and screens poll")
                self._healthy = False
                self._tried.set()
                self.close_all()
                time.sleep(delay)
                delay = min(delay * 2, 10)
            finally:
                with contextlib.suppress(Exception):  # already gone
                    pubsub.close()


def make_broker(url: str | None) -> LocalBroker:
    return RedisBroker(url) if url else LocalBroker()


def current_broker() -> LocalBroker | None:
    """The app's broker (None outside an app, e.g. a script's session)."""
    try:
        return current_app.extensions.get("portal_live")
    except RuntimeError:
        return None
