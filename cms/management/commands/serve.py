"""`manage.py serve`: the site as production runs it on one machine.

supervisord (in the foreground, its configuration generated into var/) runs
gunicorn and the background work: `db_worker` (tasks and the scheduler) on
the database task backend, or an RQ worker and `manage.py scheduler` when
REDIS_URL sends tasks to Redis. A process that dies is started again at
once; Ctrl-C or SIGTERM stops them all, each with its whole process group."""

import os
import shutil
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from cms.public_address import sync_default_site

PROGRAM = """
[program:{name}]
command={command}
directory={directory}
autorestart=true
startsecs=1
startretries=1000
stopasgroup=true
killasgroup=true
stopwaitsecs=20
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
redirect_stderr=true
"""


def supervisord_config(programs: dict[str, str], var_dir: Path) -> str:
    head = (
        "[supervisord]\n"
        "nodaemon=true\n"
        f"logfile={var_dir / 'supervisord.log'}\n"
        f"pidfile={var_dir / 'supervisord.pid'}\n"
        "loglevel=warn\n"
    )
    return head + "".join(
        PROGRAM.format(name=name, command=command, directory=settings.BASE_DIR)
        for name, command in programs.items()
    )


def background_programs(manage: str) -> dict[str, str]:
    backend = type(task_backends[DEFAULT_TASK_BACKEND_ALIAS]).__name__
    if backend == "RQBackend":
        return {
            "worker": f"{manage} rqworker default "
            "--job-class django_tasks_rq.backend.Job",
            "scheduler": f"{manage} scheduler",
        }
    return {"worker": f"{manage} db_worker --no-reload --queue-name '*' --verbosity 0"}


def fresh_metrics_dir(var_dir: Path) -> Path:
    """prometheus_client's files shared by the processes, emptied at each
    start as its multiprocess mode requires."""
    path = var_dir / "prometheus"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


class Command(BaseCommand):
    help = "Serve the site with gunicorn and run the workers, supervised"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")

    def handle(self, *args, bind: str, **options) -> None:
        sync_default_site()
        var_dir = Path(settings.VAR_DIR)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(fresh_metrics_dir(var_dir))
        manage = f"{sys.executable} {settings.BASE_DIR / 'manage.py'}"
        web = (
            f"{sys.executable} -m gunicorn cms.wsgi:application "
            f"--config python:cms.gunicorn_config --bind {bind}"
        )
        config = var_dir / "supervisord.conf"
        config.write_text(
            supervisord_config({"web": web, **background_programs(manage)}, var_dir)
        )
        supervisord = Path(sys.executable).parent / "supervisord"
        os.execv(supervisord, [str(supervisord), "--configuration", str(config)])
