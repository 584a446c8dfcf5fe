from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    label = "partners"
    verbose_name = _("合作媒体")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from feeds.access import FeedGate, install_gate
        from partners.access import authorise
        from partners.pull_log import log_pull, register_exit_flush

        install_gate(FeedGate(authorise=authorise, record=log_pull))
        register_exit_flush()
