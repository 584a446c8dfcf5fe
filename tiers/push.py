"""Pushing a package down the tree: one task per recipient, made once
(pushing again to an organisation that has its task leaves it as it was)."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.organisations import Organisation
from tiers.models import PackageTask, ResourcePackage


@dataclass(frozen=True)
class PushResult:
    pushed: list[Organisation]  # new tasks
    already: int  # recipients that had the task
    without_staff: list[Organisation]  # among pushed: nobody can acknowledge

    def messages(self) -> list[tuple[str, str]]:
        """(level, text) for the editor who pushed."""
        said = [
            ("success", _("已推送给 %(count)s 个单位") % {"count": len(self.pushed)})
        ]
        if self.already:
            text = _("%(count)s 个单位此前已收到，未重复推送")
            said.append(("info", text % {"count": self.already}))
        if self.without_staff:
            names = "、".join(org.name for org in self.without_staff)
            text = _(
                "%(names)s 没有人员账号：任务已记录，但暂时无人签收，请为其添加人员"
            )
            said.append(("warning", text % {"names": names}))
        return said


def below(organisation: Organisation) -> QuerySet[Organisation]:
    """Every organisation under this one (not itself)."""
    return Organisation.objects.filter(path__startswith=organisation.path).exclude(
        pk=organisation.pk
    )


def recipients(
    sender: Organisation,
    tiers: list[int],
    under: Organisation | None,
    chosen: QuerySet[Organisation] | None,
) -> QuerySet[Organisation]:
    """The chosen organisations, and every one of `tiers` under `under`
    (the sender when not given): always below the sender."""
    area = below(sender)
    picked = area.none()
    if tiers:
        root = under or sender
        picked = area.filter(path__startswith=root.path, tier__in=tiers)
    if chosen is not None:
        picked = picked | area.filter(pk__in=chosen.values("pk"))
    return picked.exclude(pk=sender.pk).distinct()


def push(package: ResourcePackage, organisations: QuerySet, user) -> PushResult:
    """Three queries however many recipients: read them, read who has the
    task, and make the rest's tasks."""
    staffed = Exists(
        Organisation.staff_groups.through.objects.filter(
            organisation=OuterRef("pk"), group__user__is_active=True
        )
    )
    recipients = organisations.annotate(staffed=staffed)
    targets = list(recipients.order_by("path"))
    existing = set(
        PackageTask.objects.filter(package=package).values_list(
            "organisation_id", flat=True
        )
    )
    new = [org for org in targets if org.pk not in existing]
    if new:
        insert_tasks(package, recipients, user)
    return PushResult(
        pushed=new,
        already=len(targets) - len(new),
        without_staff=[org for org in new if not org.staffed],
    )


def insert_tasks(package: ResourcePackage, recipients: QuerySet, user) -> None:
    """INSERT … SELECT: one statement for any number of tasks (bulk_create
    splits its rows by SQLite's 999 parameters, 111 tasks a statement).
    A task that a push racing this one made first is left as it is."""
    now = timezone.now()
    rows = recipients.order_by().values(
        task_recipient=F("pk"), task_staffed=F("staffed")
    )
    select, params = rows.query.sql_with_params()
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(PackageTask._meta.db_table)
    statement = (
        f"INSERT INTO {table} (package_id, organisation_id, pushed_at, "
        "pushed_by_id, acknowledge_by, had_staff) "
        f"SELECT %s, task_recipient, %s, %s, %s, task_staffed FROM ({select}) "
        "AS recipient WHERE true ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            [
                package.pk,
                adapt(now),
                getattr(user, "pk", None),
                adapt(now + package.acknowledge_window),
                *params,
            ],
        )
