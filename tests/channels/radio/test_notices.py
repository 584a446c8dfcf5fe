"""A station that broadcast an item gets, on a correction, a correction
script timed like a segment's on the programme's next slot; on a withdrawal
it is told at once."""

import csv
import io

from django.utils import timezone

from channels.advisories import next_issue
from channels.models import AdvisoryRecipient, Placement
from channels.queue import enqueue_due_placements
from cms.advisories import Advisory, withdraw
from tests.conftest import SHORT_EPISODE, make_due


def broadcast(make_episode, make_placement, outlet):
    episode = make_episode(1, body=SHORT_EPISODE)
    placement = make_placement(episode, outlet)
    make_due(placement)
    enqueue_due_placements(timezone.now())
    placement.refresh_from_db()
    assert placement.status == "delivered"
    return episode, placement


def test_a_correction_plans_a_timed_script_on_the_next_slot(
    make_episode,
    make_placement,
    folder_outlet,
    review_and_publish,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    folder_outlet.cadence_weekdays, folder_outlet.cadence_time = [3], "18:30"
    folder_outlet.save()
    folder_outlet.refresh_from_db()
    episode, original = broadcast(make_episode, make_placement, folder_outlet)
    episode.corrections = [
        ("correction", {"wrong": "储备三天的水", "right": "储备七天的水"})
    ]
    with django_capture_on_commit_callbacks(execute=True):
        review_and_publish(episode)

    advisory = Advisory.objects.get()
    notice = Placement.objects.get(advisory=advisory)
    assert notice.scheduled_at == next_issue(folder_outlet, advisory.at)
    local = timezone.localtime(notice.scheduled_at)
    assert (local.isoweekday(), f"{local:%H:%M}") == (3, "18:30")
    assert notice.display_title.startswith("更正启事：")
    assert AdvisoryRecipient.objects.get(placement=notice).state == "pending"

    make_due(notice)
    enqueue_due_placements(timezone.now())
    notice.refresh_from_db()
    assert notice.status == "delivered", notice.error
    [script] = (tmp_path / "drop").rglob(f"correction-{advisory.pk}.script.txt")
    text = script.read_text(encoding="utf-8")
    aired = timezone.localtime(original.scheduled_at)
    assert f"本期：更正：《{episode.title}》" in text
    assert (
        f"[00:00] 主持人：更正：本节目{aired.month}月{aired.day}日播出的"
        f"《{episode.title}》中，“储备三天的水”有误，应为“储备七天的水”。"
    ) in text
    second_line = next(line for line in text.splitlines() if "特此更正" in line)
    assert not second_line.startswith("[00:00]")  # timed after the first line
    [cues] = (tmp_path / "drop").rglob(f"correction-{advisory.pk}.cues.csv")
    rows = list(csv.reader(io.StringIO(cues.read_text(encoding="utf-8"))))
    assert rows[0] == ["开始", "时长（秒）", "内容"] and len(rows) == 3


def test_a_withdrawal_tells_the_station_at_once(
    make_episode, make_placement, folder_outlet, django_capture_on_commit_callbacks
):
    episode, _original = broadcast(make_episode, make_placement, folder_outlet)
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(episode, reason="专家指出结论过时")
    row = AdvisoryRecipient.objects.get(channel="radio")
    assert row.placement is None and row.state == "delivered"
    assert "专家指出结论过时" in row.sent
    assert not Placement.objects.filter(advisory__isnull=False).exists()
