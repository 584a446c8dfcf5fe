"""gunicorn's settings under `manage.py serve` (loaded as
`--config python:cms.gunicorn_config`).

Workers: WEB_CONCURRENCY, or two per core plus one. Rendering a page is
CPU-bound Python, so one process per core does the work; the extra ones keep
the cores busy while others wait on SQLite's lock, a file or the network
(measured in the README's "Production server" note)."""

import os

from prometheus_client import multiprocess

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
# Requests are logged as JSON lines by cms.request_log, not by gunicorn.
accesslog = None
errorlog = "-"
# No control socket: it defaults to one path per user, which two servers on
# one machine would share.
control_socket_disable = True
timeout = 60
graceful_timeout = 20
# A worker recycled now and then returns any memory it grew to. Not often:
# a new worker learns each big screen it serves again (one query each,
# screens.fast_path), and a node holding 30,000 screens answers 1,500 calls
# a second: with five workers, 5,000 requests recycled each every 17 s.
max_requests = 200_000
max_requests_jitter = 20_000


def child_exit(server, worker) -> None:
    """A dead worker's live gauges leave the shared metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
