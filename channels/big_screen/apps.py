from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BigScreenConfig(AppConfig):
    name = "channels.big_screen"
    label = "big_screen"
    verbose_name = _("科普大屏")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from channels.big_screen.loops import connect_signals

        connect_signals()
