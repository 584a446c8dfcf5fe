from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class FeedsConfig(AppConfig):
    name = "feeds"
    label = "feeds"
    verbose_name = _("合作方订阅源")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms.alerts import alert_raised
        from feeds import (
            adapter,  # noqa: F401  (registers the channel)
            websub,
        )
        from feeds.access import check_gate_installed
        from feeds.caching import connect_signals

        connect_signals()
        alert_raised.connect(websub.on_alert_raised, dispatch_uid="feeds-websub")
        checks.register(check_gate_installed)
