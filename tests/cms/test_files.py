"""Files follow review and visibility: a file replaced on a live item waits for
a reviewer, the public reaches a file only through a guarded door while a
visible page uses it, and staff alone read the storage."""

from datetime import timedelta
from io import BytesIO

import feedparser
import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.actions.copy_page import CopyPageAction
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Collection

from cms.file_views import resized_name
from cms.files import (
    FileKind,
    FileNotApproved,
    approved_file,
    snapshot_live_pages,
    with_approved_files,
)
from cms.scheduling import expire_due_pages
from feeds.models import FeedDefinition

VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n{}\n"


def body(response) -> bytes:
    return (
        b"".join(response.streaming_content) if response.streaming else response.content
    )


def png(colour: str) -> bytes:
    buffer = BytesIO()
    PILImage.new("RGB", (1000, 500), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def staff_editor(editor):
    """An editor as Wagtail sets one up: admin access, may edit pages and
    files, may not publish."""
    editor.groups.add(Group.objects.get(name="Editors"))
    return editor


@pytest.fixture
def vtt_video(make_video, make_subtitles):
    subtitles = Document.objects.create(
        title="中文字幕",
        file=ContentFile(VTT.format("审核过的字幕").encode(), name="zimu.vtt"),
    )
    return make_video(subtitles=subtitles)


def public_subtitles(client, page) -> bytes:
    approved = approved_file(page.pk, FileKind.DOCUMENT, page.subtitles_id)
    response = client.get(f"/documents/{page.subtitles_id}/{approved.filename}")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "default-src 'none'"
    return body(response)


def test_a_document_replaced_by_an_editor_waits_for_review(
    client, vtt_video, staff_editor, review_and_publish
):
    document = vtt_video.subtitles
    old_address = document.url
    client.force_login(staff_editor)
    response = client.post(
        f"/admin/documents/edit/{document.pk}/",
        {
            "title": document.title,
            "collection": Collection.get_first_root_node().pk,
            "file": SimpleUploadedFile(
                "zimu.vtt", VTT.format("未经审核的字幕").encode()
            ),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    document.refresh_from_db()
    assert document.url != old_address
    client.logout()

    assert "审核过的字幕" in public_subtitles(client, vtt_video).decode()
    assert client.get(old_address).status_code == 200
    assert client.get(document.url).status_code == 404
    page = client.get(vtt_video.url).content.decode()
    assert old_address in page and document.url not in page

    review_and_publish(vtt_video)
    assert "未经审核的字幕" in public_subtitles(client, vtt_video).decode()
    assert client.get(old_address).status_code == 404


def test_a_document_replaced_in_code_waits_for_review(client, vtt_video):
    document = vtt_video.subtitles
    document.file = ContentFile(VTT.format("代码替换").encode(), name="zimu.vtt")
    document.save()
    assert "审核过的字幕" in public_subtitles(client, vtt_video).decode()


def test_a_media_file_replaced_by_an_editor_waits_for_review(
    client, make_video, video_media, staff_editor, tone, review_and_publish
):
    page = make_video()
    FeedDefinition.objects.create(
        title="视频", slug="shipin", access=FeedDefinition.Access.PUBLIC
    )
    before = feedparser.parse(client.get("/feeds/shipin/mrss.xml").content)
    [enclosure] = before.entries[0].enclosures
    original = approved_file(page.pk, FileKind.MEDIA, video_media.pk)

    client.force_login(staff_editor)
    response = client.post(
        f"/admin/media/edit/{video_media.pk}/",
        {
            "title": video_media.title,
            "collection": Collection.get_first_root_node().pk,
            "duration": 1,
            "file": SimpleUploadedFile("yimiao.mp4", tone.read_bytes()),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    video_media.refresh_from_db()
    assert video_media.file.name != original.name
    client.logout()

    after = feedparser.parse(client.get("/feeds/shipin/mrss.xml").content)
    assert after.entries[0].enclosures == [enclosure]
    served = body(client.get(enclosure["href"].removeprefix("http://testserver")))
    with default_storage.open(original.name) as stored:
        assert served == stored.read()
    assert original.name.split("/")[-1] in client.get(page.url).content.decode()

    review_and_publish(page)
    newer = feedparser.parse(client.get("/feeds/shipin/mrss.xml").content)
    assert newer.entries[0].enclosures[0]["href"] != enclosure["href"]
    old_path = enclosure["href"].removeprefix("http://testserver")
    assert client.get(old_path).status_code == 404


def test_an_image_replaced_by_an_editor_waits_for_review(
    client, make_article, staff_editor, review_and_publish
):
    image = Image.objects.create(
        title="示意图", file=ImageFile(BytesIO(png("#00ff00")), name="tu.png")
    )
    article = make_article(
        body=[{"type": "image", "value": {"image": image.pk, "caption": "图"}}]
    )
    approved = approved_file(article.pk, FileKind.IMAGE, image.pk)

    client.force_login(staff_editor)
    response = client.post(
        f"/admin/images/{image.pk}/",
        {
            "title": image.title,
            "collection": Collection.get_first_root_node().pk,
            "file": SimpleUploadedFile("tu.png", png("#ff0000"), "image/png"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()

    page = client.get(article.url).content.decode()
    address = f"/files/images/{image.pk}/w800/{approved.filename}"
    assert address in page
    served = PILImage.open(BytesIO(body(client.get(address))))
    assert served.size == (800, 400)
    assert served.convert("RGB").getpixel((10, 10)) == (0, 255, 0)

    review_and_publish(article)
    image.refresh_from_db()
    assert client.get(address).status_code == 404
    new_address = f"/files/images/{image.pk}/w800/{image.filename}"
    assert new_address in client.get(article.url).content.decode()
    served = PILImage.open(BytesIO(body(client.get(new_address))))
    assert served.convert("RGB").getpixel((10, 10)) == (255, 0, 0)


def test_public_renderings_are_not_named_after_their_source(photo):
    name = resized_name(photo.file.name, 800)
    assert "kangti" not in name and "800" not in name


def test_a_drafts_files_have_no_public_address(
    client, make_video, make_subtitles, video_media, admin_client
):
    subtitles = make_subtitles("vtt")
    draft = make_video(subtitles=subtitles)
    draft.unpublish()  # withdrawn: what was public answers 410
    assert client.get(subtitles.url).status_code == 410
    enclosure = f"/feeds/media/{draft.pk}/{video_media.pk}/{video_media.filename}"
    assert client.get(enclosure).status_code == 410
    assert client.get(video_media.file.url).status_code == 404
    assert video_media.file.url.startswith("/private-files/")
    staff_view = admin_client.get(video_media.file.url)
    assert staff_view.status_code == 200
    assert staff_view["Cache-Control"] == "private, no-cache"
    assert admin_client.get(subtitles.url).status_code == 200


def test_an_expired_pages_files_leave_with_it(client, vtt_video, video_media):
    enclosure = f"/feeds/media/{vtt_video.pk}/{video_media.pk}/{video_media.filename}"
    subtitles = vtt_video.subtitles.url
    assert client.get(enclosure).status_code == 200
    type(vtt_video).objects.filter(pk=vtt_video.pk).update(
        expire_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(enclosure).status_code == 410
    assert client.get(subtitles).status_code == 404  # until the scheduler's tick
    expire_due_pages(timezone.now())
    assert client.get(enclosure).status_code == 410
    assert client.get(subtitles).status_code == 410


def test_storage_is_not_served_to_the_public(db, client, video_media):
    assert client.get(video_media.file.url).status_code == 404
    assert client.get("/media/" + video_media.file.name).status_code == 404
    assert client.get("/private-files/../cms/settings/base.py").status_code == 404


def test_the_apis_list_only_files_visible_pages_use(
    client, vtt_video, make_video, make_subtitles, photo, make_article
):
    hidden_subtitles = make_subtitles("srt")
    draft = make_video(subtitles=hidden_subtitles)
    draft.unpublish()
    hidden_image = Image.objects.create(
        title="草稿配图", file=ImageFile(BytesIO(png("#000000")), name="caogao.png")
    )
    make_article(
        publish=False,
        body=[{"type": "image", "value": {"image": hidden_image.pk, "caption": ""}}],
    )
    make_article(
        slug="shown",
        body=[{"type": "image", "value": {"image": photo.pk, "caption": ""}}],
    )
    documents = client.get("/api/v2/documents/").json()["items"]
    assert [d["id"] for d in documents] == [vtt_video.subtitles_id]
    images = client.get("/api/v2/images/").json()["items"]
    assert [i["id"] for i in images] == [photo.pk]
    assert client.get(f"/api/v2/documents/{hidden_subtitles.pk}/").status_code == 404


def test_pages_live_before_the_upgrade_get_their_files_recorded(client, vtt_video):
    vtt_video.live_revision.file_snapshot.delete()
    assert (
        approved_file(vtt_video.pk, FileKind.DOCUMENT, vtt_video.subtitles_id) is None
    )
    assert snapshot_live_pages() == 1
    assert "审核过的字幕" in public_subtitles(client, vtt_video).decode()


def test_channels_render_from_the_approved_versions(vtt_video, make_article):
    image = Image.objects.create(
        title="示意图", file=ImageFile(BytesIO(png("#00ff00")), name="tu.png")
    )
    article = make_article(
        body=[{"type": "image", "value": {"image": image.pk, "caption": "图"}}]
    )
    approved_image = image.file.name
    image.file = ImageFile(BytesIO(png("#ff0000")), name="tu.png")
    image.save()
    document = vtt_video.subtitles
    approved_subtitles = document.file.name
    document.file = ContentFile(VTT.format("代码替换").encode(), name="zimu.vtt")
    document.save()

    page = with_approved_files(type(article).objects.get(pk=article.pk))
    [block] = page.body
    assert block.value["image"].file.name == approved_image
    video = with_approved_files(type(vtt_video).objects.get(pk=vtt_video.pk))
    assert video.subtitles.file.name == approved_subtitles
    assert "审核过的字幕" in video.subtitles.file.open("rb").read().decode()


def test_wagtails_own_document_view_serves_staff_only(client, admin_client, db):
    document = Document.objects.create(
        title="内部", file=ContentFile(b"TOP SECRET DRAFT", name="secret.txt")
    )
    arabic_indic = "".join(chr(0x660 + int(digit)) for digit in str(document.pk))
    address = f"/documents/{arabic_indic}/secret.txt"
    assert client.get(address).status_code == 404
    assert client.get(document.url).status_code == 404
    assert body(admin_client.get(address)) == b"TOP SECRET DRAFT"


def test_a_live_copy_of_a_page_does_not_publish_its_unreviewed_draft_files(
    client, make_article, admin_user, editor
):
    reviewed = Image.objects.create(
        title="原图", file=ImageFile(BytesIO(png("#00ff00")), name="yuan.png")
    )
    draft_only = Image.objects.create(
        title="草稿图", file=ImageFile(BytesIO(png("#ff0000")), name="caogao.png")
    )
    article = make_article(
        body=[{"type": "image", "value": {"image": reviewed.pk, "caption": ""}}]
    )
    article.body = [{"type": "image", "value": {"image": draft_only.pk, "caption": ""}}]
    article.save_revision(user=editor)
    address = f"/files/images/{draft_only.pk}/original/{draft_only.filename}"
    assert client.get(address).status_code == 404

    copy = CopyPageAction(
        article,
        to=article.get_parent(),
        update_attrs={"slug": "fuben"},
        keep_live=True,
        user=admin_user,
    ).execute()

    assert client.get(address).status_code == 404
    with pytest.raises(FileNotApproved):  # nor do channels render from them
        with_approved_files(copy.specific)


def test_behind_nginx_a_guarded_file_is_sent_by_x_accel_redirect(
    client, vtt_video, video_media, settings
):
    settings.FILES_ACCEL_REDIRECT = "/internal-media/"
    enclosure = f"/feeds/media/{vtt_video.pk}/{video_media.pk}/{video_media.filename}"

    response = client.get(enclosure)

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/internal-media/{video_media.file.name}"
    assert response.content == b""
    assert response["Cache-Control"] == "public, no-cache"
    assert client.get(video_media.file.url).status_code == 404  # still guarded


def test_without_the_setting_files_are_streamed_by_django(
    client, vtt_video, video_media
):
    enclosure = f"/feeds/media/{vtt_video.pk}/{video_media.pk}/{video_media.filename}"

    response = client.get(enclosure)

    assert "X-Accel-Redirect" not in response
    assert body(response)
