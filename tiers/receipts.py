"""签收, 采用 and 落地 of each task, counted from the records the product
keeps, never typed in:
- 签收: the task's acknowledged_at;
- 采用: the first placement on an outlet, or playlist entry in a screen
  group, of the organisation or one below it, made for one of the package's
  items (or a copy of one, tiers.take_up) after the push; or the first copy
  of an item into a section of theirs;
- 落地: the first of those placements delivered, the first play of an item by
  a screen of the organisation or one below it, the first publication of a
  copy, or the first evidence recorded by hand.

A package's receipts are read in six queries however many organisations
there are: its tasks, then for each kind of record the first time per
owning organisation after each push (one column per distinct push time:
a package is pushed once or a few times), grouped in the database. Each
organisation's first time is then carried up to its ancestors in Python,
along its path."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import F, Min, Q, QuerySet
from django.utils import timezone
from wagtail.models import Page

from channels.models import Placement
from cms.organisations import Organisation
from screens.models import PlaylistItem, PlayRecord
from tiers.models import LandingEvidence, PackageCopy, PackageTask, ResourcePackage

DELIVERED = Placement.Status.DELIVERED


def placements(pages, area: str, since: datetime) -> QuerySet[Placement]:
    """Placements of the pages on outlets in the area (an organisation's
    path: itself and those below) made since the push."""
    return Placement.objects.filter(
        page__in=pages, outlet__owner__path__startswith=area, created_at__gte=since
    ).exclude(status=Placement.Status.CANCELLED)


def playlist_entries(pages, area: str, since: datetime) -> QuerySet[PlaylistItem]:
    return PlaylistItem.objects.filter(
        page__in=pages, group__owner__path__startswith=area, added_at__gte=since
    )


def plays(pages, area: str, since: datetime) -> QuerySet[PlayRecord]:
    return PlayRecord.objects.filter(
        page__in=pages,
        screen__group__owner__path__startswith=area,
        started_at__gte=since,
    )


def package_pages(package: ResourcePackage) -> QuerySet[Page]:
    """The ids of the package's items and of every copy of them."""
    copies = PackageCopy.objects.filter(task__package=package).values("copy")
    return Page.objects.filter(
        Q(pk__in=package.items.values("page")) | Q(pk__in=copies)
    ).values("pk")


def records_of(task: PackageTask) -> tuple[QuerySet, QuerySet, QuerySet]:
    """The placements, playlist entries and plays that count for a task."""
    pages = package_pages(task.package)
    where = (pages, task.organisation.path, task.pushed_at)
    return placements(*where), playlist_entries(*where), plays(*where)


def earliest(*moments: datetime | None) -> datetime | None:
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None


class FirstTimes:
    """The first time of a kind of record in each organisation's branch,
    after each push time: {(path, push index): time}."""

    def __init__(self) -> None:
        self.times: dict[tuple[str, int], datetime] = {}

    def add_rows(self, rows, columns: str) -> None:
        """Rows of {"owner_path", "<columns>0", "<columns>1", …}: each time
        counts for the owner and every organisation above it."""
        for row in rows:
            lineage = lineage_paths(row["owner_path"])
            for key, moment in row.items():
                if not key.startswith(columns) or moment is None:
                    continue
                push = int(key.removeprefix(columns))
                for path in lineage:
                    found = self.times.get((path, push))
                    self.times[(path, push)] = earliest(found, moment)

    def of(self, path: str, push: int) -> datetime | None:
        return self.times.get((path, push))


def lineage_paths(path: str) -> list[str]:
    """ "/1/5/12/" → ["/1/", "/1/5/", "/1/5/12/"]."""
    steps = path.strip("/").split("/")
    return ["/" + "/".join(steps[: n + 1]) + "/" for n in range(len(steps))]


def after_each(
    pushes: list[datetime], column: str, name: str, condition: Q | None = None
) -> dict:
    """Min(column) among the rows (meeting the condition) at or after each
    push: name0, name1, …"""
    condition = condition or Q()
    return {
        f"{name}{n}": Min(column, filter=condition & Q(**{f"{column}__gte": pushed}))
        for n, pushed in enumerate(pushes)
    }


def attach_receipts(package: ResourcePackage, tasks: list[PackageTask]) -> None:
    """Sets taken_up_at and landed_at (None when not yet) on the package's
    tasks: five queries."""
    pushes = sorted({task.pushed_at for task in tasks})
    if not pushes:
        return
    pages, since = package_pages(package), pushes[0]
    taken, landed = FirstTimes(), FirstTimes()
    copied = (
        PackageCopy.objects.filter(task__package=package, copied_at__gte=since)
        .values(owner_path=F("task__organisation__path"))
        .annotate(
            **after_each(pushes, "copied_at", "taken"),
            **after_each(pushes, "copy__first_published_at", "landed"),
        )
        .order_by()
    )
    taken.add_rows(copied, "taken")
    landed.add_rows(copied, "landed")
    placed = (
        placements(pages, "/", since)
        .values(owner_path=F("outlet__owner__path"))
        .annotate(
            **after_each(pushes, "created_at", "taken"),
            **after_each(pushes, "delivered_at", "landed", Q(status=DELIVERED)),
        )
        .order_by()
    )
    taken.add_rows(placed, "taken")
    landed.add_rows(placed, "landed")
    entries = (
        playlist_entries(pages, "/", since)
        .values(owner_path=F("group__owner__path"))
        .annotate(**after_each(pushes, "added_at", "taken"))
        .order_by()
    )
    taken.add_rows(entries, "taken")
    played = (
        plays(pages, "/", since)
        .values(owner_path=F("screen__group__owner__path"))
        .annotate(**after_each(pushes, "started_at", "landed"))
        .order_by()
    )
    landed.add_rows(played, "landed")
    evidence = dict(
        LandingEvidence.objects.filter(task__package=package)
        .values("task")
        .annotate(first=Min("recorded_at"))
        .values_list("task", "first")
        .order_by()
    )
    for task in tasks:
        push, path = pushes.index(task.pushed_at), task.organisation.path
        task.taken_up_at = taken.of(path, push)
        task.landed_at = earliest(landed.of(path, push), evidence.get(task.pk))


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
    and by the organisations directly under it: seven queries."""
    now = now or timezone.now()
    tasks = list(
        package.tasks.filter(organisation__path__startswith=under.path)
        .select_related("organisation", "package")
        .order_by("organisation__path")
    )
    attach_receipts(package, tasks)
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
