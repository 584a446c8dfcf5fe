from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IngestConfig(AppConfig):
    name = "ingest"
    label = "ingest"
    verbose_name = _("上游稿源")
    default_auto_field = "django.db.models.BigAutoField"
