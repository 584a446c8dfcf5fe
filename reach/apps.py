from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReachConfig(AppConfig):
    name = "reach"
    label = "reach"
    verbose_name = _("传播量")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reach import placements  # noqa: F401 (its outlet receiver)
        from reach.downloads import DOWNLOADS
        from reach.site_reads import VISITS

        VISITS.flush_at_exit()
        DOWNLOADS.flush_at_exit()
