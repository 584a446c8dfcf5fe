"""The benchmark's screens: a province → city → county → site tree with
playlists, screens with known tokens, and the bodies their players send.
Import only after django.setup()."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

SCREENS = 1_000
SMALL_SCREENS = 10
CITIES, COUNTIES_PER_CITY = 9, 10  # with 400 sites: 500 groups
SITES = 400
PLAYS_PER_BATCH = 10


def token_of(number: int) -> str:
    return f"bench-screen-token-{number:05d}"


# Building the tree --------------------------------------------------------------------


@dataclass
class Fleet:
    province: object
    items: list[int]  # the province's items: valid in every screen's loop
    screens: list[tuple[int, str]] = field(default_factory=list)  # (id, token)
    groups: int = 0


def bench_image():
    from io import BytesIO

    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images.models import Image

    buffer = BytesIO()
    PILImage.new("RGB", (1280, 720), "#0b6e75").save(buffer, "PNG")
    return Image.objects.create(
        title="基准海报", file=ImageFile(buffer, name="bench-poster.png")
    )


def group(name: str, tier: int, parent=None):
    from screens.models import ScreenGroup

    return ScreenGroup.objects.create(
        name=name, tier=tier, parent=parent, operator=f"{name}科协", contact_name="张丽"
    )


def province_items(province, image) -> list[int]:
    """Two demo videos (with screen renditions), two article cards, a poster."""
    from cms.pages import ArticlePage, VideoPage, visible_pages
    from screens.models import PlaylistItem

    items = [
        PlaylistItem(group=province, kind="video", page=page, duration_seconds=30)
        for page in visible_pages(VideoPage.objects.all())[:2]
    ]
    items += [
        PlaylistItem(group=province, kind="card", page=page, duration_seconds=20)
        for page in visible_pages(ArticlePage.objects.all())[:2]
    ]
    items.append(
        PlaylistItem(group=province, kind="image", image=image, duration_seconds=15)
    )
    for order, item in enumerate(items):
        item.sort_order = order
        item.save()
    return [item.pk for item in items]


def add_screens(fleet: Fleet, sites: list, count: int) -> None:
    from django.utils import timezone

    from screens.models import Screen
    from screens.pairing import digest

    start = len(fleet.screens)
    now = timezone.now()
    screens = Screen.objects.bulk_create(
        Screen(
            name=f"基准屏{n:04d}",
            group=sites[n % len(sites)],
            token_hash=digest(token_of(n)),
            paired_at=now - timedelta(days=2),
            last_seen_at=now,
        )
        for n in range(start, start + count)
    )
    fleet.screens += [
        (screen.pk, token_of(n)) for n, screen in enumerate(screens, start)
    ]


def small_fleet() -> tuple[Fleet, list, object]:
    """A province, a city, a county and 7 sites (10 groups), 10 screens."""
    from screens.models import PlaylistItem

    image = bench_image()
    province = group("基准省", 1)
    fleet = Fleet(province, province_items(province, image))
    city = group("基准市0", 2, province)
    county = group("基准县0-0", 3, city)
    sites = [group(f"基准站点{n:03d}", 4, county) for n in range(7)]
    for site in sites:
        PlaylistItem.objects.create(group=site, kind="image", image=image)
    fleet.groups = 3 + len(sites)
    add_screens(fleet, sites, SMALL_SCREENS)
    return fleet, sites, image


def grow_fleet(fleet: Fleet, sites: list, image) -> None:
    """To 9 cities, 90 counties, 400 sites (500 groups) and 1,000 screens."""
    from screens.models import PlaylistItem

    cities = [group(f"基准市{n}", 2, fleet.province) for n in range(1, CITIES)]
    counties = [
        group(f"基准县{c.pk}-{n}", 3, c)
        for c in cities
        for n in range(COUNTIES_PER_CITY)
    ]
    city0 = sites[0].parent.parent
    counties += [group(f"基准县0-{n}", 3, city0) for n in range(1, COUNTIES_PER_CITY)]
    new_sites = [
        group(f"基准站点{n:03d}", 4, counties[n % len(counties)])
        for n in range(len(sites), SITES)
    ]
    for site in new_sites:
        PlaylistItem.objects.create(group=site, kind="image", image=image)
    sites += new_sites
    fleet.groups += len(cities) + len(counties) + len(new_sites)
    add_screens(fleet, sites, SCREENS - len(fleet.screens))


def play_batch(items: list[int], count: int = PLAYS_PER_BATCH) -> dict:
    from django.utils import timezone

    now = timezone.localtime()
    return {
        "plays": [
            {
                "id": str(uuid.uuid4()),
                "item": items[n % len(items)],
                "started_at": (now - timedelta(seconds=30 * n)).isoformat(),
                "seconds": 29.5,
            }
            for n in range(count)
        ]
    }


def heartbeat_body(items: list[int]) -> dict:
    return {"version": "bench", "playing": items[0], "storage_free_bytes": 10**10}


def change_the_loop(fleet: Fleet):
    """An editor adds an item to the province: every screen's next poll is a
    200 with the new loop, then 304 again."""
    from django.db import connection

    from screens.models import PlaylistItem

    def change() -> None:
        poster = PlaylistItem.objects.get(pk=fleet.items[-1])
        PlaylistItem.objects.create(
            group=fleet.province,
            kind="image",
            image=poster.image,
            duration_seconds=10,
            sort_order=99,
        )
        connection.close()

    return change
