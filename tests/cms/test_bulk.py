"""cms.bulk.update_each: one UPDATE gives each row its own values, NULLs and
datetimes included, on SQLite and on PostgreSQL; unknown keys are skipped."""

from datetime import timedelta

from django.utils import timezone

from cms import bulk
from screens.models import Screen

FIELDS = ["last_seen_at", "player_version", "storage_free_bytes", "last_error"]


def test_each_row_gets_its_own_values_in_batches(screen_tree, monkeypatch):
    monkeypatch.setattr(bulk, "ROWS_PER_STATEMENT", 2)
    screens = Screen.objects.bulk_create(
        Screen(name=f"屏{n}", group=screen_tree.site, player_version="old")
        for n in range(3)
    )
    now = timezone.now()
    rows = [
        (screens[0].pk, now, "v2", None, ""),  # NULL first: not taken for text
        (screens[1].pk, now - timedelta(hours=1), "v3", 2**40, "播放失败"),
        (screens[2].pk, None, "维文版", 0, ""),
        (10**12, now, "nobody", 1, "x"),
    ]
    bulk.update_each(Screen, FIELDS, rows)
    stored = {
        row[0]: row[1:]
        for row in Screen.objects.order_by("pk").values_list("pk", *FIELDS)
    }
    assert stored == {row[0]: row[1:] for row in rows[:3]}
    assert Screen.objects.count() == 3


def test_a_row_with_a_newer_value_is_left_as_it_is(screen_tree):
    now = timezone.now()
    newer, older = Screen.objects.bulk_create(
        Screen(name=name, group=screen_tree.site, last_seen_at=seen)
        for name, seen in (("较新", now), ("较旧", now - timedelta(minutes=5)))
    )
    earlier = now - timedelta(minutes=1)
    rows = [(newer.pk, earlier, "late"), (older.pk, earlier, "on time")]
    bulk.update_each(Screen, FIELDS[:2], rows, unless_newer="last_seen_at")
    stored = dict(Screen.objects.values_list("name", "player_version"))
    assert stored == {"较新": "", "较旧": "on time"}
