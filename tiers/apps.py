from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TiersConfig(AppConfig):
    name = "tiers"
    label = "tiers"
    verbose_name = _("资源包")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms.advisories import advisory_issued
        from tiers.take_up import on_advisory_issued

        advisory_issued.connect(on_advisory_issued, dispatch_uid="tiers-copies")
