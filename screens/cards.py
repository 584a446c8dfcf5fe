"""Article cards and emergency cards for the screens: PNG pictures drawn by
Pillow in the CJK font, at the screen's orientation (1920×1080 or
1080×1920). An article card carries the title, the article's first picture,
its key points (the first 知识卡片's facts, else the standfirst) and a QR code
to the article. Cards are stored once per page revision and orientation, so
an edited article gets a new card and an unchanged one is never redrawn; the
picture is the version the revision was approved with (cms/files.py), not
one uploaded since. Cards leave by the doors of card_views.py, never by a
storage address: an article's card while that revision is live and visible,
an emergency's while the emergency is active."""

import io
from dataclasses import dataclass

import segno
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image, ImageDraw, ImageOps

from cms.files import ApprovedFile, FileKind
from media_pipeline.cover import Box, draw_block, gradient
from media_pipeline.fonts import fit_text, fit_texts
from media_pipeline.models import local_path, short_hash

SIZES = {"landscape": (1920, 1080), "portrait": (1080, 1920)}
MAX_POINTS = 4
POINT_MARK = "● "
QR_CAPTION = "扫码阅读全文"
EMERGENCY_LABEL = "应急科普"
ACCENT = (255, 196, 0)
EMERGENCY_RED = (190, 20, 30)
TEXT_LIGHT = (230, 236, 245)


@dataclass(frozen=True)
class CardContent:
    title: str
    points: tuple[str, ...]
    url: str = ""
    picture: Image.Image | None = None


def fact_text(fact) -> str:
    """A ListBlock child in raw data: {"type": "item", "value": …} (older
    data: the bare value)."""
    value = fact.get("value", "") if isinstance(fact, dict) else fact
    return str(value).strip()


def key_points(article) -> tuple[str, ...]:
    for block in article.body.raw_data:
        if block["type"] == "fact_box":
            facts = [fact_text(fact) for fact in block["value"].get("facts", [])]
            facts = [fact for fact in facts if fact]
            if facts:
                return tuple(facts[:MAX_POINTS])
    standfirst = getattr(article, "standfirst", "").strip()
    return (standfirst,) if standfirst else ()


def first_image_id(article) -> int | None:
    for block in article.body.raw_data:
        if block["type"] == "image" and block["value"].get("image"):
            return block["value"]["image"]
    return None


def load_picture(article) -> Image.Image | None:
    """The article's first picture as its live revision was approved with."""
    image_id = first_image_id(article)
    approved = (
        ApprovedFile.objects.filter(
            snapshot__revision_id=article.live_revision_id,
            kind=FileKind.IMAGE,
            object_id=image_id,
        ).first()
        if image_id and article.live_revision_id
        else None
    )
    if approved is None:
        return None
    with (
        local_path(default_storage, approved.name) as path,
        Image.open(path) as picture,
    ):
        return ImageOps.exif_transpose(picture).convert("RGB")


def qr_picture(url: str, size: int) -> Image.Image:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=10, border=2)
    buffer.seek(0)
    with Image.open(buffer) as code:
        return code.convert("RGB").resize((size, size), Image.Resampling.NEAREST)


def draw_points(draw, points, box) -> None:
    left, top, width, height = box
    if not points:
        return
    share = height // len(points)
    sizes = range(max(28, width // 14), 24, -2)
    blocks = fit_texts(
        [POINT_MARK + point for point in points], (width, share - 12), sizes
    )
    for index, block in enumerate(blocks):
        draw_block(
            draw,
            block,
            (left, top + index * share, width, share),
            align="start",
            fill=TEXT_LIGHT,
        )


def draw_qr(card: Image.Image, url: str, corner: tuple[int, int], size: int) -> None:
    draw = ImageDraw.Draw(card)
    card.paste(qr_picture(url, size), corner)
    caption = fit_text(QR_CAPTION, (size, size // 5), range(size // 8, 12, -2))
    draw_block(draw, caption, (corner[0], corner[1] + size + 8, size, size // 5))


def draw_picture(card: Image.Image, picture: Image.Image | None, box: Box) -> None:
    """The whole picture, as large as the box allows and centred in it: a
    科普 picture often carries its own text or a diagram, so it is never
    cropped. No picture: an outlined box."""
    left, top, width, height = box
    if picture is None:
        outline = (left, top, left + width, top + height)
        ImageDraw.Draw(card).rectangle(outline, outline=ACCENT, width=6)
        return
    fitted = ImageOps.contain(picture, (width, height))
    corner = (left + (width - fitted.width) // 2, top + (height - fitted.height) // 2)
    card.paste(fitted, corner)


@dataclass(frozen=True)
class CardLayout:
    picture: Box
    title: Box
    points: Box
    qr_corner: tuple[int, int]
    qr_size: int


def card_layout(orientation: str) -> CardLayout:
    """Landscape: the picture with the QR code under it on the left, title
    and key points on the right. Portrait: picture, title, key points, QR
    code from top to bottom."""
    width, height = SIZES[orientation]
    margin = width // 24
    if orientation == "landscape":
        column = width * 2 // 5
        qr_size = height // 4
        qr_corner = (margin, height - margin - qr_size - qr_size // 5)
        picture = (margin, margin, column, qr_corner[1] - 2 * margin)
        text_left = margin + column + margin
        title = (text_left, margin, width - text_left - margin, height * 3 // 10)
        points_end = height - margin
    else:
        qr_size = width // 3
        qr_corner = ((width - qr_size) // 2, height - 2 * margin - qr_size)
        picture = (margin, margin, width - 2 * margin, height * 3 // 10)
        title_top = picture[1] + picture[3] + margin
        title = (margin, title_top, width - 2 * margin, height // 6)
        points_end = qr_corner[1] - margin
    points_top = title[1] + title[3] + margin // 2
    points = (title[0], points_top, title[2], points_end - points_top)
    return CardLayout(picture, title, points, qr_corner, qr_size)


def article_card(content: CardContent, orientation: str) -> Image.Image:
    width, height = SIZES[orientation]
    layout = card_layout(orientation)
    card = gradient((width, height))
    draw = ImageDraw.Draw(card)
    draw_picture(card, content.picture, layout.picture)
    short_side = min(width, height)
    sizes = range(short_side // 10, short_side // 30, -4)
    title = fit_text(content.title, layout.title[2:], sizes, balanced=True)
    draw_block(draw, title, layout.title, align="start", fill=ACCENT)
    draw_points(draw, content.points, layout.points)
    if content.url:
        draw_qr(card, content.url, layout.qr_corner, layout.qr_size)
    return card


def emergency_card(title: str, message: str, orientation: str) -> Image.Image:
    width, height = SIZES[orientation]
    card = Image.new("RGB", (width, height), EMERGENCY_RED)
    draw = ImageDraw.Draw(card)
    margin = width // 20
    band = height // 7
    draw.rectangle((0, 0, width, band), fill=(255, 255, 255))
    label = fit_text(EMERGENCY_LABEL, (width - 2 * margin, band), [band // 2])
    draw_block(draw, label, (margin, 0, width - 2 * margin, band), fill=EMERGENCY_RED)
    title_box = (margin, band + margin, width - 2 * margin, height // 4)
    draw_block(
        draw,
        fit_text(title, title_box[2:], range(width // 12, 30, -4), balanced=True),
        title_box,
    )
    message_top = title_box[1] + title_box[3] + margin
    message_box = (
        margin,
        message_top,
        width - 2 * margin,
        height - message_top - margin,
    )
    if message.strip():
        block = fit_text(message, message_box[2:], range(width // 22, 24, -2))
        draw_block(draw, block, message_box, align="start")
    return card


def stored_png(name: str, draw) -> None:
    """Store the PNG called `name`, drawing it the first time."""
    if not default_storage.exists(name):
        buffer = io.BytesIO()
        draw().save(buffer, format="PNG", optimize=True)
        saved = default_storage.save(name, ContentFile(buffer.getvalue()))
        if saved != name:  # another request drew it meanwhile
            default_storage.delete(saved)


def article_card_name(page_id: int, revision_id: int, orientation: str) -> str:
    return f"big_screen/cards/{page_id}-r{revision_id}-{orientation}.png"


def article_card_url(article, orientation: str) -> str:
    """The address of the article's card for its live revision, drawn the
    first time."""

    def draw() -> Image.Image:
        content = CardContent(
            title=article.title,
            points=key_points(article),
            url=article.full_url or "",
            picture=load_picture(article),
        )
        return article_card(content, orientation)

    revision_id = article.live_revision_id
    stored_png(article_card_name(article.pk, revision_id, orientation), draw)
    return reverse(
        "big_screen:article_card", args=[article.pk, revision_id, orientation]
    )


def emergency_version(emergency) -> str:
    return short_hash(emergency.title, emergency.message)


def emergency_card_name(emergency_id: int, version: str, orientation: str) -> str:
    return f"big_screen/emergency/{emergency_id}-{version}-{orientation}.png"


def emergency_card_url(emergency, orientation: str) -> str:
    """The address of the card of the emergency's title and message, drawn
    the first time."""
    version = emergency_version(emergency)
    stored_png(
        emergency_card_name(emergency.pk, version, orientation),
        lambda: emergency_card(emergency.title, emergency.message, orientation),
    )
    return reverse(
        "big_screen:emergency_card", args=[emergency.pk, version, orientation]
    )
