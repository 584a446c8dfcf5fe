"""`manage.py scheduler`: the publishing scheduler alone, for set-ups whose task
workers are not db_worker (RQ workers with REDIS_URL)."""

import os
import threading

from django.core.management.base import BaseCommand

from cms import scheduling


class Command(BaseCommand):
    help = "Publish and expire scheduled pages on time, in a loop"

    def handle(self, *args, **options) -> None:
        worker_id = f"{os.uname().nodename}:{os.getpid()}"
        scheduling.run_forever(worker_id, threading.Event(), runs_tasks=False)
