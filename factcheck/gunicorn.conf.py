"""gunicorn settings for `make serve` (gunicorn -c factcheck/gunicorn.conf.py).

Read by the master before any worker starts. Every value can be overridden with the
environment variable beside it or on the command line. Reload gracefully with
`kill -HUP <master pid>`: new workers start on the new code, old ones finish their
requests (up to graceful_timeout) and exit.
"""

import os
import sys


def _env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# A known secret key would let anyone forge a session: never serve without a real one.
if not os.environ.get("DJANGO_SECRET_KEY", "").strip():
    sys.exit(
        "Refusing to start: DJANGO_SECRET_KEY is not set. Set it to a long random value, e.g. "
        "export DJANGO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )
# Production settings: no debug, no built-in key, collected static files.
os.environ.pop("FACTCHECK_DEV", None)
if os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
    sys.exit("Refusing to start: DJANGO_DEBUG is on; it shows tracebacks to every visitor.")

wsgi_app = "factcheck.wsgi:application"
bind = [f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"]

# Threaded workers: a request mostly waits on PostgreSQL, so threads overlap those waits
# cheaply, and the worker's main thread keeps answering the master's heartbeat while a
# long export streams (a sync worker would be killed at `timeout` mid-download).
# Processes give the cores: one per core; threads per worker: 4 (see the README).
worker_class = "gthread"
workers = _env_int("WORKERS", os.cpu_count() or 1)
threads = _env_int("THREADS", 4)
# Each worker process has its own psycopg pool; one connection per thread means no
# thread waits for another's. PostgreSQL then sees at most workers x threads.
os.environ["DATABASE_POOL_MAX_SIZE"] = str(threads)

# A worker that stops answering the master for this long is killed and replaced.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
# On reload or stop, requests in flight (an export download) get this long to finish.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 60)
keepalive = 5
# Workers are replaced now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
# Never preload: each worker must open its own database pool after the fork.
preload_app = False

# Signals (HUP, TERM) are the control interface; the control socket, shared by default
# across instances in ~/.gunicorn/, would make two servers on one machine collide.
control_socket_disable = True

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Who, what, status, size and the time taken in milliseconds.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# X-Forwarded-* are believed only from the local reverse proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The django-tasks-db worker (long imports and exports) will run as its own process
# beside this server, started by `make serve`; it does not belong inside gunicorn.
