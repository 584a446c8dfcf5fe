"""Tiers benchmark: a province of about 100 and then about 1,000 organisations
(province → cities → counties → sites) with a resource package pushed to
every one of them; timed against the 100-organisation tree measured in the
same run: the push, the province's receipts report (and its XLSX export)
and a county editor's dashboard. Targets: the same SQL queries at both
sizes, and under 300 ms at 1,000 organisations.

The arrivals report of 应急科普 issued by the province to every
organisation (tiers.emergency) has the same targets. The XLSX export is
measured beside them with the query target and no time target.

Run: .venv/bin/python benchmarks/tiers.py  (DATABASE_URL as for site.py;
see README.md). It builds the same throw-away environment as site.py.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from environment import environment_line, run_benchmark
from sampling import TIMED_REPEATS, Sample, measure
from sampling import report as say

HOST = "127.0.0.1"
# (cities, counties per city, sites per county): 1 + 3 + 9 + 90 = 103, and
# with the large tree's 10 × 10 × 9 added: 1,114 (the demo's 10 besides).
TREES = {"~100": (3, 3, 10), "~1,000": (10, 10, 9)}
TARGET_MS = 300
# The issue's three and the emergency arrivals; the XLSX export (openpyxl
# writing a row per organisation) is shown beside them, without a target.
TARGETED = ("push", "receipts report", "county dashboard", "emergency arrivals")
BACKGROUND_PLAYS = 100_000  # of items in no package, for the plays subquery
PLAYS_PER_SITE = 10


@dataclass
class Tree:
    counties: list
    sites: list


def add_tree(root, label: str, shape: tuple[int, int, int]) -> Tree:
    from cms.organisations import Organisation

    Tier = Organisation.Tier
    cities_n, counties_n, sites_n = shape
    tree = Tree([], [])
    for c in range(cities_n):
        city = Organisation.objects.create(
            name=f"{label}市{c}", tier=Tier.CITY, parent=root
        )
        for k in range(counties_n):
            county = Organisation.objects.create(
                name=f"{label}县{c}-{k}", tier=Tier.COUNTY, parent=city
            )
            tree.counties.append(county)
            for s in range(sites_n):
                tree.sites.append(
                    Organisation.objects.create(
                        name=f"{label}站{c}-{k}-{s}", tier=Tier.SITE, parent=county
                    )
                )
    return tree


def staff(organisations, permissions) -> None:
    """A staff group for every other organisation (the rest are pushed to
    without staff, and warned about)."""
    from django.contrib.auth.models import Group

    for organisation in organisations[::2]:
        group = Group.objects.create(name=f"staff {organisation.pk}")
        group.permissions.set(permissions)
        organisation.staff_groups.add(group)


def screens_and_outlets(tree: Tree) -> list:
    """An outlet per county and a screen group with a screen per site."""
    from channels.models import Outlet
    from screens.models import Screen, ScreenGroup

    for county in tree.counties:
        Outlet.objects.create(
            name=f"{county.name}报",
            channel="newspaper",
            organisation="日报",
            owner=county,
        )
    screens = []
    for site in tree.sites:
        group = ScreenGroup.objects.create(
            name=site.name, tier=4, operator=site.name, contact_name="王", owner=site
        )
        screens.append(Screen.objects.create(name=f"{site.name}屏", group=group))
    return screens


def background_plays(screens, page_ids: list[int]) -> None:
    from django.utils import timezone

    from screens.models import PlayRecord

    now = timezone.now()
    PlayRecord.objects.bulk_create(
        (
            PlayRecord(
                play_id=uuid.uuid4(),
                screen=screens[n % len(screens)],
                page_id=page_ids[n % len(page_ids)],
                started_at=now - timedelta(minutes=n % 10_000),
                seconds=15,
            )
            for n in range(BACKGROUND_PLAYS)
        ),
        batch_size=5_000,
    )


def receipts_for(package, tree: Tree, screens, page_id: int) -> None:
    """Half the counties acknowledge and place the item; a third of the sites
    play it."""
    from django.utils import timezone

    from channels.models import Outlet, Placement
    from screens.models import PlayRecord

    now = timezone.now()
    package.tasks.filter(organisation__in=tree.counties[::2]).update(
        acknowledged_at=now
    )
    placements = [
        Placement(
            page_id=page_id,
            outlet=outlet,
            scheduled_at=now + timedelta(days=1),
            status=Placement.Status.PLANNED,
        )
        for outlet in Outlet.objects.filter(owner__in=tree.counties[::2])
    ]
    Placement.objects.bulk_create(placements)
    by_site = {screen.group.owner_id: screen for screen in screens}
    PlayRecord.objects.bulk_create(
        PlayRecord(
            play_id=uuid.uuid4(),
            screen=by_site[site.pk],
            page_id=page_id,
            started_at=now + timedelta(minutes=n),
            seconds=15,
        )
        for site in tree.sites[::3]
        for n in range(PLAYS_PER_SITE)
    )


def new_package(root, page_id: int, label: str):
    from django.utils import timezone

    from tiers.models import PackageItem, ResourcePackage

    today = timezone.localdate()
    package = ResourcePackage.objects.create(
        title=f"基准资源包 {label}",
        owner=root,
        starts_on=today,
        ends_on=today + timedelta(days=30),
    )
    PackageItem.objects.create(package=package, page_id=page_id)
    return package


def timed_push(root, page_id: int, label: str) -> tuple[Sample, object]:
    """Queries and time of pushing a new package to every organisation."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tiers.push import push, recipients

    timings, package, queries = [], None, 0
    for n in range(TIMED_REPEATS):
        package = new_package(root, page_id, f"{label}-{n}")
        chosen = recipients(root, [2, 3, 4], None, None)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            push(package, chosen, None)
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    return Sample(queries=queries, ms=min(timings)), package


def issue_emergency(root, page_id: int, label: str):
    """应急科普 from the province to every organisation, half acknowledged."""
    from django.utils import timezone
    from wagtail.models import Page

    from tiers.emergency import EmergencyOrder, launch

    package, _result = launch(
        EmergencyOrder(
            sender=root,
            page=Page.objects.get(pk=page_id),
            title=f"基准应急 {label}",
            message="",
            hours=2,
            acknowledge_within=30,
            user=None,
        )
    )
    tasks = list(package.tasks.values_list("pk", flat=True))
    package.tasks.filter(pk__in=tasks[::2]).update(acknowledged_at=timezone.now())
    return package


def run(_var_dir: Path) -> None:
    from content import set_up_demo
    from django.contrib.auth.models import Permission, User
    from django.test import Client
    from django.urls import reverse

    from cms.organisations import root_organisation
    from cms.pages import ArticlePage, visible_pages

    say("setting up: migrate, collectstatic, load_demo …")
    started = time.monotonic()
    set_up_demo()
    say(f"  done in {time.monotonic() - started:.0f} s")
    say(environment_line())
    root = root_organisation()
    pages = list(visible_pages(ArticlePage.objects.all()).values_list("pk", flat=True))
    package_page, other_pages = pages[0], pages[1:]
    permissions = list(
        Permission.objects.filter(
            content_type__app_label__in=["tiers", "wagtailadmin", "channels"]
        )
    )
    province_staff = User.objects.create_user("bench-province")
    staff([root], permissions)
    province_staff.groups.set(root.staff_groups.all())
    samples: dict[str, dict[str, Sample]] = {}
    all_screens = []
    county_user = None
    for label, shape in TREES.items():
        started = time.monotonic()
        tree = add_tree(root, label, shape)
        staff(tree.counties + tree.sites, permissions)
        screens = screens_and_outlets(tree)
        all_screens += screens
        if county_user is None:
            county_user = User.objects.create_user("bench-county")
            county_user.groups.set(tree.counties[0].staff_groups.all())
            background_plays(screens, other_pages)
        organisations = root.__class__.objects.count()
        say(
            f"tree {label}: {organisations:,} organisations in all, built in "
            f"{time.monotonic() - started:.0f} s"
        )
        push_sample, package = timed_push(root, package_page, label)
        receipts_for(package, tree, all_screens, package_page)
        province = Client(SERVER_NAME=HOST)
        province.force_login(province_staff)
        county = Client(SERVER_NAME=HOST)
        county.force_login(county_user)
        report = reverse("packages:receipts", args=[package.pk])
        emergency = issue_emergency(root, package_page, label)
        samples[label] = {
            "push": push_sample,
            "receipts report": measure(province, report),
            "receipts XLSX": measure(
                province, reverse("packages:export", args=[package.pk, "xlsx"])
            ),
            "county dashboard": measure(county, reverse("wagtailadmin_home")),
            "emergency arrivals": measure(
                province, reverse("emergencies:arrivals", args=[emergency.pk])
            ),
        }
        tasks = package.tasks.count()
        say(f"  package pushed to {tasks:,} organisations")
    print_samples(samples)


def print_samples(samples: dict[str, dict[str, Sample]]) -> None:
    sizes = list(samples)
    small, large = sizes[0], sizes[-1]
    say()
    say(
        f"SQL queries, and the fastest of {TIMED_REPEATS} in ms (in-process, DEBUG "
        f"off; the push as a function call, the pages as requests):"
    )
    say(
        f"  {'':<18}{'q ' + small:>10}{'q ' + large:>12}{'ms ' + small:>12}"
        f"{'ms ' + large:>13}{'× ' + small:>10}  target"
    )
    failed = False
    for label in samples[small]:
        a, b = samples[small][label], samples[large][label]
        same = a.queries == b.queries
        if label in TARGETED:
            ok = same and b.ms < TARGET_MS
            failed |= not ok
            verdict = "met" if ok else "MISSED"
        else:
            failed |= not same
            verdict = "queries " + ("same" if same else "GROW") + "; no time target"
        say(
            f"  {label:<18}{a.queries:>10}{b.queries:>12}{a.ms:>12.1f}{b.ms:>13.1f}"
            f"{b.ms / a.ms:>10.2f}  {verdict}"
        )
    say()
    say(
        "summary: "
        + (
            "a target MISSED"
            if failed
            else f"same queries at both sizes, all under {TARGET_MS} ms"
        )
    )


if __name__ == "__main__":
    run_benchmark(run)
