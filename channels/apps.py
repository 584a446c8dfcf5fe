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
        from channels import checks, platform_exports
        from channels.advisories import on_advisory_issued
        from cms.advisories import advisory_issued

        for module in self.adapter_modules:
            import_module(module)
        advisory_issued.connect(on_advisory_issued, dispatch_uid="channels")
        checks.connect_signals()
        advisory_issued.connect(
            platform_exports.on_advisory_issued, dispatch_uid="platform_exports"
        )
