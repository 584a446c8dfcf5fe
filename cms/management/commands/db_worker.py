"""`manage.py db_worker`: the django-tasks database worker, plus the scheduler
loop that publishes and expires pages, so the default set-up needs no cron."""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from cms import scheduling


class Command(db_worker.Command):
    help = "Run the background worker and the publishing scheduler"

    def handle(self, *args, reload: bool, worker_id: str, **options) -> None:
        is_reloader_parent = reload and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not is_reloader_parent:
            scheduling.start_in_thread(worker_id=f"{os.uname().nodename}:{os.getpid()}")
        super().handle(*args, reload=reload, worker_id=worker_id, **options)
