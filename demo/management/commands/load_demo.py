"""`manage.py load_demo`: the demo site and its science content (idempotent)."""

from django.core.management.base import BaseCommand

from demo.feeds import load_feeds
from demo.ingest import load_ingest
from demo.loader import load_demo
from demo.outlets import load_outlets
from demo.partners import load_partners
from demo.reach import load_reach
from demo.screens import load_screens
from demo.short_video import load_short_video
from demo.tiers import load_tiers


class Command(BaseCommand):
    help = "Load the demo site, taxonomy and science content through 科学审核 review"

    def handle(self, *args, **options) -> None:
        self.stdout.write(load_demo().summary())
        self.stdout.write(load_outlets())
        self.stdout.write(load_screens())
        self.stdout.write(load_short_video())
        self.stdout.write(load_feeds())
        self.stdout.write(load_partners())
        self.stdout.write(load_ingest())
        self.stdout.write(load_tiers())
        self.stdout.write(load_reach())
