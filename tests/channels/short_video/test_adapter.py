"""Short video as a channel: platform accounts as outlets, the item checked
against the platform before its time, and at its time an MP4, a cover and
the 发布文案 produced through the media pipeline."""

import io
import threading
import time
from pathlib import Path

import ffmpeg
import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection
from django.utils.encoding import uri_to_iri
from PIL import Image

from channels.models import Placement
from channels.queue import process_placement
from channels.short_video.adapter import PLATFORMS, ShortVideoAdapter, ShortVideoSpec
from cms.snippets import Topic
from media_pipeline.loudness import measure
from media_pipeline.models import ExportJob, Rendition, source_version
from media_pipeline.probe import iso_boxes
from media_pipeline.tasks import cancel_export
from tests.channels.short_video.conftest import render_due
from tests.conftest import make_due


def codes(problems) -> list[str]:
    return [problem.code for problem in problems]


# check() -------------------------------------------------------------------------


def test_a_720p_source_passes_for_douyin_with_a_blurred_background(video_of, account):
    assert ShortVideoAdapter().check(video_of("1280x720"), account("douyin")) == []


def test_a_640x360_source_is_refused_with_the_reason(video_of, account):
    [problem] = ShortVideoAdapter().check(video_of("640x360"), account("douyin"))
    assert problem.code == "low_resolution" and not problem.warning
    assert problem.message == (
        "分辨率 640×360 按模糊背景导出为抖音的 1080×1920，画面需放大 1.69 倍，"
        "超过 1.5 倍的上限"
    )


def test_a_cropped_720p_source_is_refused_as_the_crop_would_enlarge_it(
    video_of, account
):
    problems = ShortVideoAdapter().check(
        video_of("1280x720"), account("douyin", reframe="crop")
    )
    assert codes(problems) == ["low_resolution"]
    assert "居中裁切" in problems[0].message and "2.67 倍" in problems[0].message


def test_an_enlarged_picture_is_a_warning_that_does_not_stop_the_post(
    video_of, account
):
    [problem] = ShortVideoAdapter().check(video_of("1280x720"), account("bilibili"))
    assert problem.code == "upscaled" and problem.warning
    assert str(problem).startswith("提醒：")


def test_an_item_without_a_video_is_refused(make_article, account):
    [problem] = ShortVideoAdapter().check(make_article(), account("kuaishou"))
    assert problem.code == "no_video"
    assert problem.message == "没有视频，不能发布到快手账号"


def test_missing_subtitles_a_long_title_and_too_many_topics_are_each_named(
    video_of, account
):
    item = video_of(subtitles=None, title="台" * 200)
    for number in range(12):
        item.topics.add(Topic.objects.create(name=f"话题{number}", slug=f"t{number}"))
    problems = ShortVideoAdapter().check(item, account("douyin"))
    assert codes(problems) == ["title_length", "too_many_topics", "missing_subtitles"]
    assert problems[0].message == "标题 200 字，抖音要求 1 到 30 字"
    assert problems[1].message == "话题 13 个，超过抖音上限 5 个"
    assert "抖音要求字幕" in problems[2].message


def test_a_short_title_is_refused_where_the_platform_asks_for_six_characters(
    video_of, account
):
    item = video_of(title="台风")
    problems = ShortVideoAdapter().check(item, account("wechat_channels"))
    assert codes(problems) == ["title_length"]
    assert problems[0].message == "标题 2 字，视频号要求 6 到 16 字"


def test_an_account_limit_stricter_than_the_platform_applies(video_of, account):
    item = video_of("1920x1080")  # 台风是怎样形成的: 8 字
    [problem] = ShortVideoAdapter().check(item, account("bilibili", title_chars=6))
    assert problem.message == "标题 8 字，哔哩哔哩要求 1 到 6 字"
    # A looser account limit leaves the platform's (80 字).
    assert ShortVideoSpec(platform="bilibili", title_chars=200).preset.title_chars == 80


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"platform": "weibo"}, "未知的平台「weibo」"),
        ({"platform": "screen_landscape"}, "未知的平台「screen_landscape」"),
        ({"reframe": "stretch"}, "构图方式应为 blur"),
        ({"topics": "科普"}, "账号话题应为文字列表"),
        ({"title_chars": -1}, "标题字数上限（title_chars）应为不小于 0 的整数"),
        ({"post_within_hours": True}, "发布期限应为整数"),
        ({"require_subtitles": "yes"}, "必须有字幕应为是/否"),
        (
            {"platform": "wechat_channels", "title_chars": 4},
            "标题字数上限 4 低于视频号要求的最少 6 字",
        ),
    ],
)
def test_impossible_account_settings_are_named_in_chinese(make_outlet, spec, message):
    with pytest.raises(ValidationError) as error:
        make_outlet("short_video", name="坏账号", organisation="某科协", spec=spec)
    assert message in " ".join(error.value.messages)


# The 发布文案 ---------------------------------------------------------------------


def test_the_caption_carries_topics_credit_expert_and_the_link(
    video_of, account, campaign
):
    item = video_of(campaign=campaign)
    outlet = account("douyin", topics=["科普吉林", "全国 科普日"])
    caption = ShortVideoAdapter().preview_context(item, outlet)["caption"]
    assert caption.title == "台风是怎样形成的"
    lines = caption.description.splitlines()
    assert lines == [
        "两分钟看懂台风的一生。",
        "#公共卫生 #全国科普日 #科普吉林",
        "来源：省气象局",
        "审核专家：周明（省疾控中心）",
        f"原文：{uri_to_iri(item.full_url)}",
    ]
    assert "%" not in lines[-1]  # the Chinese slug as people read it


# render() at the placement's time --------------------------------------------------


def test_a_due_placement_renders_a_douyin_mp4_cover_and_caption(
    video_of, account, make_placement
):
    item = video_of("1280x720", seconds=3)
    placement = render_due(item, account("douyin"), make_placement)
    assert placement.status == Placement.Status.DELIVERED, placement.error
    files = {output.name: output for output in placement.outputs.all()}
    stem = item.slug if item.slug.isascii() else f"item-{item.pk}"
    assert sorted(files) == [
        f"{stem}.caption.txt",
        f"{stem}.cover.jpg",
        f"{stem}.douyin.mp4",
    ]
    video = files[f"{stem}.douyin.mp4"]
    path = Path(video.file.path)
    streams = {s["codec_type"]: s for s in ffmpeg.probe(path)["streams"]}
    assert (streams["video"]["width"], streams["video"]["height"]) == (1080, 1920)
    assert streams["video"]["codec_name"] == "h264"
    assert streams["audio"]["codec_name"] == "aac"
    kinds = [box.kind for box in iso_boxes(path)]
    assert kinds.index(b"moov") < kinds.index(b"mdat")  # faststart
    assert measure(path).integrated == pytest.approx(-16, abs=1)
    assert video.size == video.file.size
    with files[f"{stem}.cover.jpg"].file.open("rb") as cover:
        assert Image.open(io.BytesIO(cover.read())).size == (1080, 1440)
    caption = files[f"{stem}.caption.txt"].file.read().decode()
    assert caption.startswith("标题：台风是怎样形成的\n") and "#公共卫生" in caption


def test_a_second_account_on_the_platform_reuses_the_export(
    video_of, account, make_placement, make_outlet
):
    item = video_of()
    first = render_due(item, account("douyin"), make_placement)
    other = make_outlet(
        "short_video",
        name="应急科普抖音号",
        organisation="吉林省应急管理厅",
        spec={"platform": "douyin"},
    )
    second = render_due(item, other, make_placement)
    assert first.status == second.status == Placement.Status.DELIVERED
    assert ExportJob.objects.count() == 1 and Rendition.objects.count() == 1


# Each platform once, the orientations taking turns: landscape into a
# portrait frame (blurred background) and portrait into a landscape one are
# both rendered, without rendering all ten pairs.
PLATFORM_SIZES = [
    (platform, ("1920x1080", "1080x1920")[n % 2])
    for n, platform in enumerate(sorted(PLATFORMS))
]


@pytest.mark.parametrize(("platform", "size"), PLATFORM_SIZES)
def test_every_platform_renders_1080p_in_its_frame(
    video_of, account, make_placement, platform, size
):
    placement = render_due(video_of(size, seconds=1), account(platform), make_placement)
    assert placement.status == Placement.Status.DELIVERED, placement.error
    [video] = placement.outputs.filter(mime_type="video/mp4")
    stream = ffmpeg.probe(video.file.path, select_streams="v")["streams"][0]
    assert (stream["width"], stream["height"]) == PLATFORMS[platform].size


def test_a_limit_changed_after_planning_fails_the_placement_with_nothing_made(
    video_of, account, make_placement
):
    outlet = account("douyin")
    placement = make_placement(video_of(), outlet)
    outlet.spec = {**outlet.spec, "title_chars": 4}
    outlet.full_clean()
    outlet.save()
    make_due(placement)
    process_placement.call(placement.pk)
    placement.refresh_from_db()
    assert placement.status == Placement.Status.FAILED
    assert placement.error == "标题 8 字，抖音要求 1 到 4 字"
    assert not placement.outputs.exists() and not ExportJob.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_export_cancelled_while_it_runs_fails_the_placement_and_leaves_the_original(
    video_of, account, make_placement
):
    item = video_of(seconds=20)
    original = Path(item.video.file.path)
    before = original.read_bytes()
    placement = make_placement(item, account("douyin"))
    make_due(placement)

    def work() -> None:
        try:
            process_placement.call(placement.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    deadline = time.monotonic() + 30
    while not ExportJob.objects.filter(progress__gt=0).exists():
        assert time.monotonic() < deadline, "the export never reported progress"
        time.sleep(0.1)
    cancel_export(ExportJob.objects.get())
    worker.join(timeout=30)
    placement.refresh_from_db()
    assert placement.status == Placement.Status.FAILED
    assert placement.error == "「clip-1280x720.mp4」的抖音版导出已被取消"
    assert not placement.outputs.exists() and not Rendition.objects.exists()
    assert original.read_bytes() == before


def test_the_placement_page_shows_the_export_under_way(
    video_of, account, make_placement, admin_client
):
    item = video_of()
    outlet = account("douyin")
    placement = make_placement(item, outlet)
    url = f"/admin/channels/placements/inspect/{placement.pk}/"
    assert "正在导出" not in admin_client.get(url).content.decode()
    ExportJob.objects.create(
        media=item.video,
        preset="douyin",
        reframe="blur",
        source_version=source_version(item.video.file),
        options_key="",
        status=ExportJob.Status.RUNNING,
        progress=40,
    )  # as the worker leaves it while ffmpeg runs
    page = admin_client.get(url).content.decode()
    assert "正在导出抖音版（导出中）" in page
    assert 'value="40"' in page and "/admin/media-pipeline/jobs/" in page


def test_an_account_run_by_a_vendor_gets_its_package_in_a_folder(
    video_of, make_outlet, make_placement, tmp_path
):
    outlet = make_outlet(
        "short_video",
        name="科普吉林·B站（代运营）",
        organisation="吉林省科协",
        spec={"platform": "bilibili"},
        delivery="folder",
        delivery_target=str(tmp_path / "vendor"),
    )
    placement = render_due(video_of("1920x1080", seconds=1), outlet, make_placement)
    assert placement.status == Placement.Status.DELIVERED, placement.error
    delivered = {path.name: path for path in (tmp_path / "vendor").rglob("*.*")}
    outputs = {output.name: output for output in placement.outputs.all()}
    stem = f"item-{placement.page_id}"
    names = {f"{stem}.bilibili.mp4", f"{stem}.cover.jpg", f"{stem}.caption.txt"}
    assert set(outputs) == names and names <= set(delivered)
    for name, output in outputs.items():
        assert delivered[name].read_bytes() == output.file.read()


def test_a_picture_enlarged_within_the_limit_is_posted_with_a_note(
    video_of, account, make_placement
):
    item, outlet = video_of("1280x720", seconds=1), account("bilibili")
    [note] = ShortVideoAdapter().check(item, outlet)
    assert note.warning and note.code == "upscaled"
    assert "画面需放大 1.50 倍，可能发虚" in note.message
    placement = render_due(item, outlet, make_placement)
    assert placement.status == Placement.Status.DELIVERED, placement.error


def test_a_video_replaced_after_review_is_not_posted(
    video_of, account, make_placement, make_clip
):
    item = video_of(seconds=1)
    media = item.video
    replacement = make_clip("replaced.mp4", size="1920x1080", seconds=1)
    with replacement.open("rb") as stream:
        media.file.save("replaced.mp4", File(stream))  # no new review
    placement = render_due(item, account("douyin"), make_placement)
    assert placement.status == Placement.Status.FAILED
    assert placement.error == (
        "「clip-1280x720.mp4」在审核通过后换了文件，新文件要随内容重新审核通过后才能发布"
    )
    assert not ExportJob.objects.exists() and not placement.outputs.exists()


def test_an_account_cannot_take_its_videos_by_email(make_outlet):
    with pytest.raises(ValidationError) as error:
        make_outlet(
            "short_video",
            name="科普吉林·快手",
            spec={"platform": "kuaishou"},
            delivery="email",
            delivery_target="xinmeiti@example.org",
        )
    assert error.value.message_dict["delivery"] == [
        "短视频发布包含整段视频，邮件一般发不出去：请选文件夹、SFTP、"
        "HTTP 回调，或不推送（在短视频待发布里人工发布）"
    ]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_every_platform_takes_720p_on_a_blurred_background_and_refuses_360p(
    video_of, account, platform
):
    outlet = account(platform)
    hd = ShortVideoAdapter().check(video_of("1280x720", seconds=1), outlet)
    assert hd == [] or [(p.code, p.warning) for p in hd] == [("upscaled", True)]
    [refused] = ShortVideoAdapter().check(video_of("640x360", seconds=1), outlet)
    assert refused.code == "low_resolution" and not refused.warning
