"""Production settings for ``gunicorn --config gunicorn.conf.py wsgi:app``.

Every value can be changed from the environment without editing this file; docs/deploy.md
explains how the service is run behind a reverse proxy.

    MODERATION_BIND                 address to listen on (127.0.0.1:8000); several: comma-separated
    MODERATION_WORKERS              worker processes (2 x cores + 1)
    MODERATION_FORWARDED_ALLOW_IPS  proxies trusted for X-Forwarded-Proto (127.0.0.1)
    MODERATION_MAX_REQUESTS         requests before a worker is replaced (100000; 0: never)
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any


def _cores() -> int:
    # The cores this process may run on, which a container or cpuset can limit below the
    # machine's count.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _int_from_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = [
    address.strip()
    for address in os.environ.get("MODERATION_BIND", "127.0.0.1:8000").split(",")
    if address.strip()
]

# Sync workers: every request is short (rendering is capped at 75 ms, the queue pages stay
# under 50 ms) and database-bound, so one request per process is simplest and safe with
# SQLAlchemy's per-process pools. They must sit behind a buffering proxy (nginx), which
# absorbs slow clients so a worker never waits on a slow network.
worker_class = "sync"
workers = _int_from_env("MODERATION_WORKERS", 2 * _cores() + 1)

# Load the app once in the master and fork the workers from it. A broken configuration (no
# secret key, a bad setting) stops the master at once with the app's message instead of
# workers failing one by one; workers start in milliseconds, so replacing one after
# max_requests is cheap; and the imported code is shared copy-on-write between workers. The
# price: a HUP signal reloads no code, so a deploy restarts the service (docs/deploy.md).
# The app opens no database connection while it is built; post_fork below makes sure no
# pooled connection could ever be shared between processes anyway.
preload_app = True

# A worker silent for this long is killed and replaced. The slowest legitimate request is
# one that sends mail after its commit (MAIL_TIMEOUT, 10 s per SMTP connection).
timeout = 30
# On a restart, requests in progress get this long to finish.
graceful_timeout = 30
# Sync workers close every connection after the response; the proxy keeps the clients' ones.
keepalive = 2
# Heartbeat files in memory: on a busy or slow disk the heartbeat could block a worker.
# (gunicorn makes them with mkstemp and unlinks them at once, so a shared folder is safe.)
SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None

# Replace each worker after about this many requests, so memory that a long-running process
# accumulates (fragmentation, a leak) is given back; the jitter keeps the workers from all
# restarting at the same moment. Not often: a new worker compiles its templates and fills its
# page cache again (a few hundred ms of CPU), and the requests queued on it wait meanwhile. At
# 100,000 a worker is replaced every few minutes at full load, every few days at a normal one.
max_requests = _int_from_env("MODERATION_MAX_REQUESTS", 100_000)
max_requests_jitter = max_requests // 10

# Gunicorn trusts X-Forwarded-Proto (https) only from these addresses; the app itself reads
# X-Forwarded-For/-Host/-Proto through ProxyFix with MODERATION_PROXY_HOPS.
forwarded_allow_ips = os.environ.get("MODERATION_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs to stdout and stderr, where systemd's journal (or a container runtime) collects them.
# The access log adds the response time in milliseconds and the proxy's X-Forwarded-For.
accesslog = "-"
errorlog = "-"
access_log_format = (
    '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
)

# Newer gunicorn opens a control socket at one path per user; a second instance on the same
# host (a second site, a benchmark) would take it over. systemd manages this service instead.
control_socket_disable = True


def post_fork(server: Any, worker: Any) -> None:
    """Start each worker with empty connection pools: a connection made in the master before
    the fork would otherwise be used by several processes at once."""
    module = sys.modules.get("wsgi")
    app = getattr(module, "app", None)
    if app is None:
        return
    from moderation.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def when_ready(server: Any) -> None:
    """The app is loaded in the master: move everything it made out of the garbage collector's
    sight, so the workers' collections walk only what requests create and the shared pages are
    not copied by the collector touching them."""
    gc.collect()
    gc.freeze()
