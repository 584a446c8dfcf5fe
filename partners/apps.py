from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    label = "partners"
    verbose_name = _("合作媒体")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partners.pull_log import register_exit_flush

        register_exit_flush()
