"""Problems before failure: each open placement's check() run ahead of its
time, in the background, and its result kept on the placement
(check_result), so that the calendar, the placement list, the page's side
panel and the dashboard's 渠道异常 show what would stop it going out while
there is time to fix it.

A placement is checked when it is planned or moved to another outlet or
item, when its item gets a new revision (an edit, a correction), and when
its outlet's settings change. The check reads the item's latest revision,
the version an editor is working on; at its time, delivery checks the live
version again (channels.queue)."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django_tasks import task
from wagtail.models import Page, Revision

from channels.models import Outlet, Placement

# Still to go out: a check result means something there.
CHECKED_STATUSES = (Placement.Status.PLANNED, Placement.Status.CHECKED)


def check_now(placement: Placement) -> list[dict]:
    item = placement.page.specific.get_latest_revision_as_object()
    problems = placement.outlet.adapter.check(item, placement.outlet)
    result = [
        {"code": p.code, "message": str(p.message), "warning": p.warning}
        for p in problems
    ]
    Placement.objects.filter(pk=placement.pk).update(
        check_result=result, checked_at=timezone.now()
    )
    return result


@task()
def check_placements(placement_ids: list[int]) -> int:
    placements = Placement.objects.filter(
        pk__in=placement_ids, status__in=CHECKED_STATUSES, advisory__isnull=True
    ).select_related("page", "outlet")
    for placement in placements:
        check_now(placement)
    return len(placements)


def check_later(placements) -> None:
    """Check these placements (a queryset) in the background, once the
    change that calls for it is committed."""
    ids = list(
        placements.filter(
            status__in=CHECKED_STATUSES, advisory__isnull=True
        ).values_list("pk", flat=True)
    )
    if ids:
        transaction.on_commit(lambda: check_placements.enqueue(ids))


def on_placement_saved(sender, instance: Placement, created: bool, **kwargs) -> None:
    """Planned, or edited in the admin or moved on the calendar (the queue
    saves only its own fields, or the whole row with a new status)."""
    if instance.status != Placement.Status.PLANNED:
        return
    fields = kwargs.get("update_fields")
    if created or fields is None or {"page", "outlet", "scheduled_at"} & set(fields):
        check_later(Placement.objects.filter(pk=instance.pk))


def on_revision_saved(sender, instance: Revision, created: bool, **kwargs) -> None:
    page_type = ContentType.objects.get_for_model(Page)
    if created and instance.base_content_type_id == page_type.pk:
        check_later(Placement.objects.filter(page_id=int(instance.object_id)))


def on_outlet_saved(sender, instance: Outlet, created: bool, **kwargs) -> None:
    if not created:
        check_later(instance.placements.all())


def connect_signals() -> None:
    post_save.connect(on_placement_saved, sender=Placement, dispatch_uid="checks")
    post_save.connect(on_revision_saved, sender=Revision, dispatch_uid="checks")
    post_save.connect(on_outlet_saved, sender=Outlet, dispatch_uid="checks")
