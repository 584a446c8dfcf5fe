"""The item's platform exports on 更正 and 撤回: a withdrawal cancels the
exports still under way and withdraws the renditions from every door; each
platform the item was exported for gets a task for the editor (下架, or 更正
the caption), pending until the editor marks it done."""

import pytest
from django.urls import reverse

from channels.advisories import acknowledge
from channels.models import AdvisoryRecipient
from cms.advisories import Advisory, withdraw
from media_pipeline.models import ExportJob, Rendition
from media_pipeline.tasks import request_export


@pytest.fixture
def exported_video(make_video, make_media, run_export):
    media = make_media("video", size="1920x1080", seconds=1)
    video = make_video(title="台风是怎样形成的", video=media)
    for preset in ("bilibili", "toutiao"):
        request = run_export(video.video, None, preset)
        assert request.job and request.job.status == "succeeded", request.problems
    return video


def rendition_url(page, rendition: Rendition) -> str:
    name = rendition.file.name.rsplit("/", 1)[-1]
    args = [page.pk, rendition.media_id, rendition.pk, name]
    return reverse("files:rendition", args=args)


def test_a_withdrawal_takes_the_exports_down_and_asks_for_each_platform(
    exported_video, client, admin_user, django_capture_on_commit_callbacks
):
    media = exported_video.video
    bilibili = Rendition.objects.get(media=media, preset="bilibili")
    url = rendition_url(exported_video, bilibili)
    assert client.get(url).status_code == 200
    queued = request_export(media, "toutiao", "crop", media.title, None, admin_user)
    assert queued.outcome == "queued"  # its task would run on commit

    with django_capture_on_commit_callbacks(execute=True):
        withdraw(exported_video, reason="画面数据有误", user=admin_user)

    queued.job.refresh_from_db()
    assert queued.job.status == ExportJob.Status.CANCELLED
    assert not Rendition.objects.filter(media=media, withdrawn_at=None).exists()
    assert client.get(url).status_code == 410
    assert Rendition.objects.current([media], "bilibili") == {}

    rows = AdvisoryRecipient.objects.filter(channel="short_video").order_by("name")
    assert {row.reference for row in rows} == {"platform:bilibili", "platform:toutiao"}
    row = rows.get(reference="platform:bilibili")
    assert row.name == "哔哩哔哩" and row.state == "pending"
    assert row.sent.startswith("请在哔哩哔哩下架《台风是怎样形成的》的视频")
    assert "画面数据有误" in row.sent
    assert f"/media-pipeline/media/{media.pk}/export/" in row.sent
    assert "模糊背景" in row.sent and str(admin_user) in row.sent
    assert "居中裁切" not in "".join(rows.values_list("sent", flat=True))

    acknowledge(row, admin_user, "已在B站下架")
    row.refresh_from_db()
    assert row.state == "acknowledged" and row.acknowledged_by == admin_user


def test_a_new_export_replaces_a_withdrawn_rendition(
    exported_video, run_export, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(exported_video)
    again = run_export(exported_video.video, None, "bilibili")
    assert again.outcome == "queued" and again.job.status == "succeeded"
    fresh = Rendition.objects.get(media=exported_video.video, preset="bilibili")
    assert fresh.withdrawn_at is None


def test_a_correction_asks_each_platform_to_correct_the_caption(
    exported_video, review_and_publish, django_capture_on_commit_callbacks
):
    exported_video.corrections = [
        ("correction", {"wrong": "台风生成于陆地", "right": "台风生成于热带海洋"})
    ]
    with django_capture_on_commit_callbacks(execute=True):
        review_and_publish(exported_video)

    advisory = Advisory.objects.get()
    rows = advisory.recipients.filter(channel="short_video")
    assert rows.count() == 2
    toutiao = rows.get(reference="platform:toutiao")
    assert toutiao.name == "今日头条" and toutiao.state == "pending"
    assert toutiao.sent.startswith(
        "请在今日头条更正《台风是怎样形成的》视频的标题、简介"
    )
    assert "应为“台风生成于热带海洋”" in toutiao.sent
    assert not Rendition.objects.filter(withdrawn_at__isnull=False).exists()
