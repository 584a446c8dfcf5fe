"""An 应急科普 alert (cms.alerts) on the outlets that take urgent items
(Outlet.accepts_urgent: a radio slot that breaks in, a paper's column that
runs a flash): each active one its area's organisations own gets a
placement of the item at the alert's start, which the queue takes up at
once and delivers the outlet's way. Cancelling the alert cancels those not
delivered yet; a delivered one is taken back by withdrawing the item."""

from django.db import transaction
from django.utils import timezone

from channels.models import Outlet, Placement
from channels.queue import OPEN, enqueue_due_placements
from cms.alerts import SiteAlert


def urgent_outlets(alert: SiteAlert):
    return Outlet.objects.filter(
        active=True, accepts_urgent=True, owner__path__startswith=alert.owner.path
    )


def on_alert_raised(sender, alert: SiteAlert, **kwargs) -> None:
    placed = set(
        Placement.objects.filter(alert=alert).values_list("outlet_id", flat=True)
    )
    for outlet in urgent_outlets(alert).exclude(pk__in=placed):
        Placement.objects.create(  # one by one: the checks and feeds follow saves
            page_id=alert.page_id,
            outlet=outlet,
            scheduled_at=alert.starts_at,
            alert=alert,
            created_by=alert.created_by,
        )
    transaction.on_commit(lambda: enqueue_due_placements(timezone.now()))


def on_alert_cancelled(sender, alert: SiteAlert, **kwargs) -> None:
    Placement.objects.filter(alert=alert, status__in=OPEN).update(
        status=Placement.Status.CANCELLED
    )
