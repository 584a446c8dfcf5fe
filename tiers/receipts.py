"""签收, 采用 and 落地 of each task, counted from the records the product
keeps, never typed in:
- 签收: the task's acknowledged_at;
- 采用: the first placement on an outlet, or playlist entry in a screen
  group, of the organisation or one below it, made for one of the package's
  items after the push;
- 落地: the first of those placements delivered, the first play of an item by
  a screen of the organisation or one below it, or the first evidence
  recorded by hand.
Each is one correlated subquery, so a package's tasks are read in one query
however many there are."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import DateTimeField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from channels.models import Placement
from cms.organisations import Organisation
from screens.models import PlaylistItem, PlayRecord
from tiers.models import LandingEvidence, PackageItem, PackageTask

IN_AREA = OuterRef("organisation__path")
SINCE_PUSH = OuterRef("pushed_at")


def package_pages():
    return PackageItem.objects.filter(package=OuterRef(OuterRef("package"))).values(
        "page"
    )


def first(queryset: QuerySet, moment: str) -> Subquery:
    return Subquery(
        queryset.order_by(moment).values(moment)[:1], output_field=DateTimeField()
    )


def earliest(*moments) -> Least:
    """The earliest of moments that may be NULL (SQLite's MIN() of a NULL is
    NULL; PostgreSQL's LEAST skips it): NULL only when all are."""
    rotations = [moments[i:] + moments[:i] for i in range(len(moments))]
    return Least(*(Coalesce(*rotation) for rotation in rotations))


def placements(pages, area, since) -> QuerySet[Placement]:
    """Placements of the pages on outlets in the area (an organisation's
    path: itself and those below) made since the push."""
    return Placement.objects.filter(
        page__in=pages, outlet__owner__path__startswith=area, created_at__gte=since
    ).exclude(status=Placement.Status.CANCELLED)


def playlist_entries(pages, area, since) -> QuerySet[PlaylistItem]:
    return PlaylistItem.objects.filter(
        page__in=pages, group__owner__path__startswith=area, added_at__gte=since
    )


def plays(pages, area, since) -> QuerySet[PlayRecord]:
    return PlayRecord.objects.filter(
        page__in=pages,
        screen__group__owner__path__startswith=area,
        started_at__gte=since,
    )


def records_of(task: PackageTask) -> tuple[QuerySet, QuerySet, QuerySet]:
    """The placements, playlist entries and plays that count for a task."""
    pages = task.package.items.values("page")
    where = (pages, task.organisation.path, task.pushed_at)
    return placements(*where), playlist_entries(*where), plays(*where)


def with_receipts(tasks: QuerySet[PackageTask]) -> QuerySet[PackageTask]:
    """Each task annotated with taken_up_at and landed_at (None when not)."""
    where = (package_pages(), IN_AREA, SINCE_PUSH)
    delivered = placements(*where).filter(status=Placement.Status.DELIVERED)
    evidence = LandingEvidence.objects.filter(task=OuterRef("pk"))
    return tasks.select_related("organisation", "package").annotate(
        taken_up_at=earliest(
            first(placements(*where), "created_at"),
            first(playlist_entries(*where), "added_at"),
        ),
        landed_at=earliest(
            first(delivered, "delivered_at"),
            first(plays(*where), "started_at"),
            first(evidence, "recorded_at"),
        ),
    )


def land_by(ends_on) -> datetime:
    """The end of the package's last day, local time."""
    return timezone.make_aware(datetime.combine(ends_on + timedelta(days=1), time()))


@dataclass
class Tally:
    """Figures of a set of tasks."""

    tasks: int = 0
    acknowledged: int = 0
    acknowledged_in_time: int = 0
    taken_up: int = 0
    landed: int = 0
    landed_in_time: int = 0
    overdue: int = 0  # not acknowledged, past the deadline

    def add(self, task: PackageTask, now: datetime) -> None:
        self.tasks += 1
        if task.acknowledged_at:
            self.acknowledged += 1
            self.acknowledged_in_time += task.acknowledged_at <= task.acknowledge_by
        elif now > task.acknowledge_by:
            self.overdue += 1
        self.taken_up += task.taken_up_at is not None
        if task.landed_at:
            self.landed += 1
            self.landed_in_time += task.landed_at < land_by(task.package.ends_on)

    def rate(self, count: int) -> float | None:
        return count / self.tasks if self.tasks else None

    @property
    def acknowledged_rate(self):
        return self.rate(self.acknowledged)

    @property
    def in_time_rate(self):
        return self.rate(self.acknowledged_in_time)

    @property
    def taken_up_rate(self):
        return self.rate(self.taken_up)

    @property
    def landed_rate(self):
        return self.rate(self.landed)


@dataclass
class Branch:
    """One organisation directly under the one the report is opened at: its
    own task (if it got one) and the figures of its whole branch."""

    organisation: Organisation
    task: PackageTask | None = None
    tally: Tally = field(default_factory=Tally)


@dataclass
class Receipts:
    under: Organisation
    tasks: list[PackageTask]  # in tree order, every task in the area
    by_tier: dict[int, Tally]  # tier → tally
    total: Tally
    branches: list[Branch]
    own_task: PackageTask | None  # the task of `under` itself


def receipts(package, under: Organisation, now: datetime | None = None) -> Receipts:
    """The package's tasks in `under`'s branch (itself included), by tier
    and by the organisations directly under it. Two queries."""
    now = now or timezone.now()
    tasks = list(
        with_receipts(
            package.tasks.filter(organisation__path__startswith=under.path)
        ).order_by("organisation__path")
    )
    children = Organisation.objects.filter(parent=under).order_by("path")
    branches = {child.path: Branch(child) for child in children}
    by_tier: dict[int, Tally] = {}
    total = Tally()
    own_task = None
    for task in tasks:
        total.add(task, now)
        by_tier.setdefault(task.organisation.tier, Tally()).add(task, now)
        if task.organisation_id == under.pk:
            own_task = task
            continue
        branch = branches[child_path(under.path, task.organisation.path)]
        branch.tally.add(task, now)
        if task.organisation.path == branch.organisation.path:
            branch.task = task
    return Receipts(
        under=under,
        tasks=tasks,
        by_tier=dict(sorted(by_tier.items())),
        total=total,
        branches=[branch for branch in branches.values() if branch.tally.tasks],
        own_task=own_task,
    )


def child_path(parent: str, descendant: str) -> str:
    """The path of the parent's child on the way to the descendant:
    ("/1/", "/1/5/12/") → "/1/5/"."""
    step = descendant[len(parent) :].split("/", 1)[0]
    return f"{parent}{step}/"
