"""Delivery figures for the health check and the metrics endpoint
(settings.HEALTH_FIGURES, settings.METRICS_COLLECTORS)."""

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from channels.models import Placement


def failed_placement_count() -> int:
    return Placement.objects.filter(status=Placement.Status.FAILED).count()


def placement_metrics():
    counts = dict(
        Placement.objects.order_by().values_list("status").annotate(Count("id"))
    )
    family = GaugeMetricFamily(
        "kepu_placements", "Placements (deliveries) by status", labels=["status"]
    )
    for status in Placement.Status.values:
        family.add_metric([status], counts.get(status, 0))
    yield family
