"""An 应急科普 alert (cms.alerts) takes over the screens of its area: one
emergency item on each topmost screen group its organisation or those
below it own (an emergency overrides every screen under its group), for the
alert's time; cancelling the alert cancels them. Screens confirm it as
they confirm any emergency (EmergencyConfirmation)."""

from django.db.models import Exists, OuterRef

from cms.alerts import SiteAlert
from screens.models import EmergencyItem, ScreenGroup


def groups_in_area(alert: SiteAlert):
    return ScreenGroup.objects.filter(owner__path__startswith=alert.owner.path)


def topmost_groups(alert: SiteAlert) -> list[ScreenGroup]:
    """The area's groups whose parent is outside the area."""
    area = groups_in_area(alert)
    parent_in_area = area.filter(pk=OuterRef("parent_id"))
    return list(area.exclude(Exists(parent_in_area)).order_by("path"))


def on_alert_raised(sender, alert: SiteAlert, **kwargs) -> None:
    taken = set(
        EmergencyItem.objects.filter(alert=alert).values_list("group_id", flat=True)
    )
    for group in topmost_groups(alert):
        if group.pk in taken:
            continue
        EmergencyItem.objects.create(  # one by one: the loops follow saves
            alert=alert,
            group=group,
            title=alert.title,
            message=alert.message,
            page_id=alert.page_id,
            starts_at=alert.starts_at,
            ends_at=alert.ends_at,
        )


def on_alert_cancelled(sender, alert: SiteAlert, **kwargs) -> None:
    EmergencyItem.objects.filter(alert=alert, cancelled_at=None).update(
        cancelled_at=alert.cancelled_at
    )
