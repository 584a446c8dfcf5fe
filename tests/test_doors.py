"""Every door, as a property: for any mix of pages that are live, draft,
awaiting review, scheduled, expired, unpublished, private, or live with their
files replaced but not reviewed, nothing the public can fetch — pages,
search, sitemap, feeds, the APIs, and every file address they give — carries
an unreviewed or hidden file, and each such file's own addresses answer 404
(410 once the item was withdrawn or expired).
On local storage and on S3 (moto's server on loopback)."""

import re
import socket
from datetime import timedelta
from io import BytesIO

import boto3
import pytest
from django.core.files.base import ContentFile, File
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.server import ThreadedMotoServer
from PIL import Image as PILImage
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import PageViewRestriction

from cms.files import FileKind, approved_file
from cms.review import submit_for_review
from tests.feeds.fixtures import FEED_FORMATS

NOT_SERVED = (404, 410)  # 410: the item was public and was taken back

STATES = (
    "live",
    "draft",
    "submitted",
    "scheduled",
    "expired",
    "unpublished",
    "private",
    "replaced",
)
KINDS = ("article", "video", "episode")
FILE_ADDRESS = re.compile(
    r"((?<!/v2)/(?:feeds/media|documents|files/images)/[^\"'\s<>\\]+)"
)
STORAGE_ADDRESS = re.compile(r"""(?:["'(\s]|testserver)/(?:private-files|media)/""")
BUCKET = "kepu-doors"


def colour(index: int, replaced: bool = False) -> tuple[int, int, int]:
    return (index * 20 % 256, 200 if replaced else 40, 90)


def png(rgb: tuple[int, int, int]) -> bytes:
    buffer = BytesIO()
    PILImage.new("RGB", (600, 300), rgb).save(buffer, "PNG")
    return buffer.getvalue()


def subtitles_text(marker: str) -> bytes:
    return f"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n{marker}\n".encode()


@pytest.fixture(params=["local", "s3"])
def storage(request, settings):
    if request.param == "local":
        yield "local"
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "access_key": "test",
        "secret_key": "test",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
    }
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "cms.storage.S3Storage", "OPTIONS": options},
    }
    yield "s3"
    server.stop()


@pytest.fixture
def shared_media(storage, make_clip):
    from wagtailmedia.models import Media

    def media(kind: str, name: str, **clip):
        path = make_clip(name, video=kind == "video", seconds=1, **clip)
        with path.open("rb") as stream:
            return Media.objects.create(
                title=name, file=File(stream, name=name), type=kind, duration=1
            )

    return {
        "video": media("video", "clip.mp4"),
        "audio": media("audio", "tone.m4a"),
        "replacement": make_clip("new.mp4", video=True, seconds=1, size="160x90"),
    }


class Built:
    """A page and what would betray it or its unreviewed files."""

    def __init__(self, page, state: str):
        self.page, self.state = page, state
        self.secret_markers: list[str] = []
        self.secret_colours: list[tuple[int, int, int]] = []
        self.secret_addresses: list[str] = []

    @property
    def shown(self) -> bool:
        return self.state in ("live", "replaced")


def file_addresses(page) -> list[str]:
    """Every address a file of the page has, in its stored and its approved
    versions."""
    addresses = []
    media = getattr(page, "video", None) or getattr(page, "audio", None)
    names = {}
    if media is not None:
        approved = approved_file(page.pk, FileKind.MEDIA, media.pk)
        for name in {media.file.name, approved.name if approved else ""} - {""}:
            filename = name.rsplit("/", 1)[-1]
            addresses.append(f"/feeds/media/{page.pk}/{media.pk}/{filename}")
        addresses.append(f"/feeds/media/{page.pk}/{media.pk}/thumbnail/")
    subtitles = getattr(page, "subtitles", None)
    if subtitles is not None:
        names[subtitles.pk] = subtitles.filename
        addresses.append(f"/documents/{subtitles.pk}/{subtitles.filename}")
    for block in getattr(page, "body", None) or []:
        if block.block_type == "image":
            image = block.value["image"]
            addresses.append(f"/files/images/{image.pk}/original/{image.filename}")
    return addresses


@pytest.fixture
def build_page(make_article, make_video, make_episode, editor, shared_media):
    def build(index: int, kind: str, state: str) -> Built:
        title = f"〔{index}〕{kind}-{state}"
        fields = {"title": title, "publish": state not in ("submitted", "draft")}
        if state == "scheduled":
            fields["go_live_at"] = timezone.now() + timedelta(days=1)
        image = Image.objects.create(
            title=f"图{index}",
            file=ImageFile(BytesIO(png(colour(index))), name=f"tu{index}.png"),
        )
        body = [{"type": "image", "value": {"image": image.pk, "caption": ""}}]
        subtitles = None
        if kind == "article":
            page = make_article(body=body, **fields)
        elif kind == "video":
            subtitles = Document.objects.create(
                title=f"字幕{index}",
                file=ContentFile(subtitles_text(f"字幕〔{index}〕"), name="zimu.vtt"),
            )
            page = make_video(
                video=shared_media["video"], subtitles=subtitles, **fields
            )
        else:
            page = make_episode(index, audio=shared_media["audio"], body=body, **fields)
        built = Built(page, state)
        if state == "submitted":
            page.save_revision(user=editor)
            submit_for_review(page, editor)
        elif state == "expired":
            type(page).objects.filter(pk=page.pk).update(
                expire_at=timezone.now() - timedelta(seconds=1)
            )
        elif state == "unpublished":
            page.unpublish()
        elif state == "private":
            PageViewRestriction.objects.create(
                page=page, restriction_type="password", password="x"
            )
        elif state == "replaced":
            replace_files(built, index, image, subtitles, shared_media)
        if not built.shown:
            built.secret_markers.append(title)
            if subtitles is not None:
                built.secret_markers.append(f"字幕〔{index}〕")
            if kind != "video":
                built.secret_colours.append(colour(index))
            built.secret_addresses += file_addresses(page)
        return built

    return build


def replace_files(built: Built, index: int, image, subtitles, shared_media) -> None:
    """Files changed in code after approval, no new review."""
    image.file = ImageFile(BytesIO(png(colour(index, True))), name=f"tu{index}.png")
    image.save()
    built.secret_colours.append(colour(index, True))
    built.secret_addresses.append(f"/files/images/{image.pk}/original/{image.filename}")
    if subtitles is not None:
        subtitles.file = ContentFile(
            subtitles_text(f"未审〔{index}〕"), name="zimu.vtt"
        )
        subtitles.save()
        built.secret_markers.append(f"未审〔{index}〕")
        built.secret_addresses.append(f"/documents/{subtitles.pk}/{subtitles.filename}")
    media = getattr(built.page, "video", None)
    if media is not None:
        with shared_media["replacement"].open("rb") as stream:
            media.file = File(stream, name="clip.mp4")
            media.save()
        filename = media.file.name.rsplit("/", 1)[-1]
        built.secret_addresses.append(
            f"/feeds/media/{built.page.pk}/{media.pk}/{filename}"
        )


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def public_outputs(client, pages: list[Built]) -> list[str]:
    paths = [b.page.url for b in pages if b.shown]
    paths += [f"/feeds/all/{name}" for name in FEED_FORMATS]
    paths += [
        "/sitemap.xml",
        "/api/v2/pages/?fields=*",
        "/api/v2/documents/",
        "/api/v2/images/",
        "/search/?q=" + "〔",
    ]
    texts = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        texts.append(body(response).decode())
    return texts


def served_colour(data: bytes) -> tuple[int, int, int] | None:
    try:
        return PILImage.open(BytesIO(data)).convert("RGB").getpixel((5, 5))
    except OSError:
        return None


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    mix=st.lists(
        st.tuples(st.sampled_from(KINDS), st.sampled_from(STATES)),
        min_size=1,
        max_size=4,
    )
)
def test_no_door_lets_out_an_unreviewed_or_hidden_file(
    client, make_feed, build_page, mix
):
    with transaction.atomic():
        make_feed("all")
        pages = [build_page(i, kind, state) for i, (kind, state) in enumerate(mix)]
        markers = [m for b in pages for m in b.secret_markers]
        colours = {c for b in pages for c in b.secret_colours}
        texts = public_outputs(client, pages)
        addresses = set()
        for text in texts:
            assert not STORAGE_ADDRESS.search(text)
            for marker in markers:
                assert marker not in text
            addresses |= set(
                FILE_ADDRESS.findall(text.replace("http://testserver", ""))
            )
        for address in addresses:
            response = client.get(address)
            assert response.status_code == 200, address
            data = body(response)
            assert served_colour(data) not in colours, address
            decoded = data.decode(errors="ignore")
            assert not any(marker in decoded for marker in markers), address
        for built in pages:
            for address in built.secret_addresses:
                assert address not in addresses
                status = client.get(address).status_code
                assert status in NOT_SERVED, (built.state, address, status)
        transaction.set_rollback(True)
