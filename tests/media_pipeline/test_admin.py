"""The media pipeline in the Wagtail admin: probe facts on the media edit
page, the 导出短视频 form (queue, re-use, refuse), the 导出任务 list with
its status endpoint, cancel and downloads, and who may see them."""

import random

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.models import Collection
from wagtailmedia.models import get_media_model

from media_pipeline.models import ExportJob, MediaProbe, Rendition
from tests.browser import log_in
from tests.media_pipeline.test_tasks import (
    CUES,
    make_media,
    make_subtitles,
    media_root,
    write_clip,
)

# The task tests' fixtures, used here by name (pytest injects them).
__all__ = ["make_media", "make_subtitles", "media_root"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("admin-clips")
    return {
        "video": write_clip(folder / "typhoon.mp4"),
        "audio": write_clip(folder / "tone.m4a", video=False),
    }


@pytest.fixture
def export_url():
    def url(media) -> str:
        return reverse("media_pipeline:export", args=[media.pk])

    return url


@pytest.fixture
def submit_export(admin_client, export_url, django_capture_on_commit_callbacks):
    """POST the export form (a queued job runs when the request commits),
    then follow the redirect, if any."""

    def submit(media, **fields):
        fields.setdefault("preset", "douyin")
        fields.setdefault("reframe", "blur")
        fields.setdefault("title", media.title)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(export_url(media), fields)
        if response.status_code == 302:
            return admin_client.get(response["Location"])
        return response

    return submit


def test_uploading_a_video_in_the_admin_shows_its_media_info(
    admin_client, clips, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("typhoon.mp4", clips["video"].read_bytes())
    data = {
        "title": "台风来了怎么办",
        "file": upload,
        "collection": Collection.get_first_root_node().pk,
        "tags": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("wagtailmedia:add", args=["video"]), data)
    assert response.status_code == 302
    media = get_media_model().objects.get()
    assert media.thumbnail
    page = admin_client.get(reverse("wagtailmedia:edit", args=[media.pk]))
    html = page.content.decode()
    for fact in ("媒体信息", "1 秒", "1920×1080", "25 fps", "h264", "aac · 1 声道"):
        assert fact in html
    assert reverse("media_pipeline:export", args=[media.pk]) in html


def test_a_corrupt_upload_shows_its_probe_error_on_the_edit_page(
    admin_client, make_media, tmp_path
):
    bogus = tmp_path / "broken.mp4"
    bogus.write_bytes(random.Random(2).randbytes(2048))
    media = make_media(bogus)
    page = admin_client.get(reverse("wagtailmedia:edit", args=[media.pk]))
    assert page.status_code == 200
    assert "无法识别的数据" in page.content.decode()
    assert "已拒绝：broken.mp4" in page.content.decode()


def test_the_export_form_offers_the_presets_in_chinese(
    admin_client, make_media, clips, export_url
):
    media = make_media(clips["video"])
    html = admin_client.get(export_url(media)).content.decode()
    for label in ("抖音（1080×1920，需字幕）", "哔哩哔哩（1920×1080）", "模糊背景"):
        assert label in html
    assert "居中裁切" in html
    assert 'value="台风来了怎么办"' in html


def test_an_export_from_the_admin_runs_and_its_rendition_downloads(
    admin_client, make_media, make_subtitles, clips, submit_export
):
    media = make_media(clips["video"])
    response = submit_export(media, subtitles=make_subtitles().pk)
    html = response.content.decode()
    assert response.request["PATH_INFO"] == reverse("media_pipeline:jobs")
    assert "已加入导出队列" in html
    job = ExportJob.objects.get()
    assert (job.status, job.progress) == ("succeeded", 100)
    download = reverse("media_pipeline:download", args=[job.rendition_id])
    assert download in html and "已完成" in html
    streamed = admin_client.get(download)
    assert streamed.status_code == 200
    assert streamed["Content-Type"] == "video/mp4"
    assert "attachment" in streamed["Content-Disposition"]
    body = b"".join(streamed.streaming_content)
    assert body == job.rendition.file.open("rb").read()
    assert body[4:8] == b"ftyp"


def test_submitting_the_same_export_again_reuses_the_rendition(
    make_media, make_subtitles, clips, submit_export
):
    media = make_media(clips["video"])
    subtitles = make_subtitles()
    submit_export(media, subtitles=subtitles.pk)
    again = submit_export(media, subtitles=subtitles.pk)
    assert "直接复用，不再重新编码" in again.content.decode()
    assert ExportJob.objects.count() == 1
    assert Rendition.objects.count() == 1


def test_an_audio_file_is_refused_with_the_reason_and_nothing_queued(
    make_media, make_subtitles, clips, submit_export
):
    media = make_media(clips["audio"], kind="audio")
    response = submit_export(media, subtitles=make_subtitles().pk)
    html = response.content.decode()
    assert response.request["PATH_INFO"] == reverse(
        "media_pipeline:export", args=[media.pk]
    )
    assert "没有视频画面，不能导出为抖音视频" in html
    assert "没有创建导出任务" in html
    assert not ExportJob.objects.exists()


def test_a_source_longer_than_the_platform_allows_is_refused(
    make_media, clips, submit_export
):
    media = make_media(clips["video"])
    MediaProbe.objects.filter(pk=media.probe.pk).update(duration=1200)
    html = submit_export(media, preset="kuaishou").content.decode()
    assert "超过快手上限 10 分钟" in html
    assert "快手要求字幕" in html
    assert not ExportJob.objects.exists()


def test_subtitles_with_bad_timing_are_refused_by_the_form(
    make_media, make_subtitles, clips, submit_export
):
    media = make_media(clips["video"])
    backwards = CUES.replace("00:00:00,200 --> 00:00:00,900", "00:00:02,000 --> 0:01")
    subtitles = make_subtitles(backwards)
    html = submit_export(media, subtitles=subtitles.pk).content.decode()
    assert "字幕第 1 条" in html
    assert not ExportJob.objects.exists()


@pytest.fixture
def running_job(make_media, clips, admin_user):
    media = make_media(clips["audio"], kind="audio")
    return ExportJob.objects.create(
        media=media,
        preset="douyin",
        status="running",
        progress=42,
        created_by=admin_user,
    )


def test_the_status_endpoint_reports_progress(admin_client, running_job):
    url = reverse("media_pipeline:job_status")
    data = admin_client.get(url, {"id": [running_job.pk, "x"]}).json()
    assert data["jobs"] == [
        {
            "id": running_job.pk,
            "status": "running",
            "status_label": "导出中",
            "active": True,
            "progress": 42,
            "error": "",
            "error_details": "",
            "download_url": None,
        }
    ]


def test_the_cancel_button_asks_a_running_job_to_stop(admin_client, running_job):
    url = reverse("media_pipeline:cancel", args=[running_job.pk])
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url, follow=True)
    assert "已请求取消" in response.content.decode()
    running_job.refresh_from_db()
    assert running_job.cancel_requested


def test_the_job_list_shows_failed_jobs_with_ffmpegs_lines(admin_client, running_job):
    ExportJob.objects.filter(pk=running_job.pk).update(
        status="failed",
        error="ffmpeg 处理失败：typhoon.mp4（Conversion failed!）",
        error_details="[h264] Invalid NAL unit size\nConversion failed!",
    )
    html = admin_client.get(reverse("media_pipeline:jobs")).content.decode()
    assert "ffmpeg 处理失败：typhoon.mp4" in html
    assert "[h264] Invalid NAL unit size" in html
    assert "失败" in html


def admin_urls(job: ExportJob, rendition_id: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("media_pipeline:export", args=[job.media_id])),
        ("post", reverse("media_pipeline:export", args=[job.media_id])),
        ("get", reverse("media_pipeline:jobs")),
        ("get", reverse("media_pipeline:job_status") + f"?id={job.pk}"),
        ("post", reverse("media_pipeline:cancel", args=[job.pk])),
        ("get", reverse("media_pipeline:download", args=[rendition_id])),
    ]


def test_anonymous_users_are_sent_to_log_in_from_every_view(client, running_job):
    for method, url in admin_urls(running_job, rendition_id=1):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("wagtailadmin_login"))
    running_job.refresh_from_db()
    assert not running_job.cancel_requested


def test_users_without_media_permissions_see_no_jobs(client, running_job):
    reporter = User.objects.create_user("jizhe", password="pw")
    reporter.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(reporter)  # may use the admin, may not edit media
    status = reverse("media_pipeline:job_status")
    assert client.get(status, {"id": running_job.pk}).json() == {"jobs": []}
    assert client.get(reverse("media_pipeline:jobs")).status_code == 302
    cancel = reverse("media_pipeline:cancel", args=[running_job.pk])
    assert client.post(cancel).status_code == 404


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_job_list_progress_bar_moves_without_a_reload(
    live_server, browser, admin_user, make_media, clips, running_job
):
    page = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 900})
    log_in(page, live_server.url, "admin", "password")
    video = make_media(clips["video"], title="防台风：家里要备好的三样东西")
    page.goto(f"{live_server.url}{reverse('media_pipeline:export', args=[video.pk])}")
    page.screenshot(path="/tmp/media_pipeline_export_form.png", full_page=True)

    page.goto(f"{live_server.url}{reverse('media_pipeline:jobs')}")
    row = page.locator(f"tr[data-job-id='{running_job.pk}']")
    bar = row.locator("[role=progressbar]")
    assert bar.get_attribute("aria-valuenow") == "42"
    page.evaluate("window.notReloaded = true")

    ExportJob.objects.filter(pk=running_job.pk).update(progress=73)
    page.wait_for_function(
        "document.querySelector('[data-job-percent]').textContent === '73%'"
    )
    assert bar.get_attribute("aria-valuenow") == "73"
    assert page.evaluate("window.notReloaded") is True
    page.wait_for_timeout(500)  # the bar's width transition
    page.screenshot(path="/tmp/media_pipeline_job_list.png", full_page=True)

    ExportJob.objects.filter(pk=running_job.pk).update(
        status="failed", error="ffmpeg 处理失败：tone.m4a（Conversion failed!）"
    )
    row.locator("text=ffmpeg 处理失败").wait_for()
    assert row.locator("[data-job-status]").inner_text() == "失败"
    assert row.locator("[data-job-cancel]").count() == 0
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path="/tmp/media_pipeline_job_failed.png", full_page=True)

    page.goto(f"{live_server.url}{reverse('wagtailmedia:edit', args=[video.pk])}")
    assert page.locator("text=媒体信息").is_visible()
    page.screenshot(path="/tmp/media_pipeline_media_edit.png", full_page=True)


def test_a_countys_staff_see_the_jobs_of_their_own_collection_only(
    client, running_job, make_media, clips, org_tree, admin_user
):
    from cms.organisation_rights import sync_rights
    from tests.organisation_fixtures import staff_of

    root = Collection.get_first_root_node()
    county_collection = root.add_child(name="农安县科协素材库")
    org_tree["nongan"].collection = county_collection
    org_tree["nongan"].save()
    staff = staff_of(org_tree["nongan"])
    sync_rights()
    own_media = make_media(clips["audio"], kind="audio", title="农安县的音频")
    own_media.collection = county_collection
    own_media.save()
    own_job = ExportJob.objects.create(
        media=own_media, preset="douyin", status="running", created_by=admin_user
    )
    client.force_login(staff)
    status = reverse("media_pipeline:job_status")
    ids = {"id": [running_job.pk, own_job.pk]}
    assert [job["id"] for job in client.get(status, ids).json()["jobs"]] == [own_job.pk]
    listing = client.get(reverse("media_pipeline:jobs")).text
    assert "农安县的音频" in listing and "台风来了怎么办" not in listing
    cancel = reverse("media_pipeline:cancel", args=[running_job.pk])
    assert client.post(cancel).status_code == 404
