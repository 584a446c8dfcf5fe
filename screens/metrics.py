"""Screen figures for the metrics endpoint (settings.METRICS_COLLECTORS)."""

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from screens.admin_views import ONLINE_WITHIN
from screens.models import Screen


def screen_metrics():
    paired = Screen.objects.filter(token_hash__isnull=False, revoked_at__isnull=True)
    online = paired.filter(last_seen_at__gte=timezone.now() - ONLINE_WITHIN)
    yield GaugeMetricFamily(
        "kepu_screens_paired", "Screens paired and not revoked", value=paired.count()
    )
    yield GaugeMetricFamily(
        "kepu_screens_online",
        "Paired screens heard from within three minutes",
        value=online.count(),
    )
