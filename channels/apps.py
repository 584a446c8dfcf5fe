from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    label = "channels"
    verbose_name = _("渠道")
    default_auto_field = "django.db.models.BigAutoField"
    adapter_modules = (
        "channels.newspaper.adapter",
        "channels.radio.adapter",
        "channels.short_video.adapter",
    )

    def ready(self) -> None:
        from channels import alerts, checks, platform_exports
        from channels.advisories import on_advisory_issued
        from cms.advisories import advisory_issued
        from cms.alerts import alert_cancelled, alert_raised

        for module in self.adapter_modules:
            import_module(module)
        advisory_issued.connect(on_advisory_issued, dispatch_uid="channels")
        checks.connect_signals()
        alert_raised.connect(alerts.on_alert_raised, dispatch_uid="channels-alerts")
        alert_cancelled.connect(
            alerts.on_alert_cancelled, dispatch_uid="channels-alerts"
        )
        advisory_issued.connect(
            platform_exports.on_advisory_issued, dispatch_uid="platform_exports"
        )
