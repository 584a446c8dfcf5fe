from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreensConfig(AppConfig):
    name = "screens"
    label = "big_screen"
    verbose_name = _("科普大屏")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms.alerts import alert_cancelled, alert_raised
        from screens import (
            adapter,  # noqa: F401  (registers the channel)
            alerts,
            fast_path,
            loops,
            rollout,
        )

        loops.connect_signals()
        alert_raised.connect(alerts.on_alert_raised, dispatch_uid="screens-alerts")
        alert_cancelled.connect(
            alerts.on_alert_cancelled, dispatch_uid="screens-alerts"
        )
        fast_path.connect_signals()
        rollout.forget_on_change()
        fast_path.HEARTBEATS.flush_at_exit()
