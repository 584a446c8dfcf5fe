from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreensConfig(AppConfig):
    name = "screens"
    label = "big_screen"
    verbose_name = _("科普大屏")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from screens import (
            adapter,  # noqa: F401  (registers the channel)
            fast_path,
            loops,
            rollout,
        )

        loops.connect_signals()
        fast_path.connect_signals()
        rollout.forget_on_change()
        fast_path.HEARTBEATS.flush_at_exit()
