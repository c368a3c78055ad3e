"""Gunicorn settings of the live-updates process: ``/events`` only, on gevent.

A stream stays open for hours; on a sync worker each would hold a whole worker. This
process runs one gevent worker (a greenlet per stream, a thousand streams in one process)
beside the ordinary sync gunicorn, and nginx sends it ``/events`` with buffering off
(docs/live.md)::

    gunicorn -c python:portal.live.sse_server wsgi:app

``SSE_BIND`` (127.0.0.1:8001, beside the web process's 8000), ``SSE_WORKERS`` (1),
``SSE_CONNECTIONS`` (1000) adjust it;
set ``REDIS_URL`` in both processes so that a change made through the web process reaches
the streams here.
"""

import os

bind = os.environ.get("SSE_BIND", "127.0.0.1:8001")
worker_class = "gevent"
workers = int(os.environ.get("SSE_WORKERS", "1"))
worker_connections = int(os.environ.get("SSE_CONNECTIONS", "1000"))
# a stream writes a heartbeat every 15 s; the worker's own liveness is gevent's business
timeout = 60
graceful_timeout = 5
keepalive = 75
accesslog = os.environ.get("SSE_ACCESS_LOG") or None
