from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    label = "partners"
    verbose_name = _("合作媒体")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms.advisories import advisory_issued
        from cms.alerts import alert_raised
        from feeds.access import FeedGate, install_gate
        from partners import alerts
        from partners.access import authorise
        from partners.notices import on_advisory_issued
        from partners.pull_log import PULLS, log_pull

        install_gate(FeedGate(authorise=authorise, record=log_pull))
        PULLS.flush_at_exit()
        advisory_issued.connect(on_advisory_issued, dispatch_uid="partners-notices")
        alert_raised.connect(alerts.on_alert_raised, dispatch_uid="partners-alerts")
