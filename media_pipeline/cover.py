"""Pictures with Chinese (or Uyghur) titles set by Pillow: platform covers,
and the transparent title card an export lays over the video."""

from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from media_pipeline.errors import MediaError
from media_pipeline.fonts import TextBlock, fit_text
from media_pipeline.presets import SafeArea, VideoPreset
from media_pipeline.progress import atomic_output

Box = tuple[int, int, int, int]  # left, top, width, height
Align = Literal["start", "centre"]

# Covers (house design): a deep blue ground, or the given picture dimmed;
# the title centred in the middle 60 % of the height, inside 8 % side margins.
COVER_MARGIN = 0.08
COVER_TITLE_TOP = 0.2
COVER_TITLE_HEIGHT = 0.6
COVER_TOP_COLOUR = (18, 52, 97)
COVER_BOTTOM_COLOUR = (6, 20, 40)
BACKGROUND_DIMMING = 110  # alpha of the black laid over a background picture
# Font sizes tried, as fractions of the picture's width, largest first.
COVER_SIZES = (1 / 9, 1 / 30)
CARD_SIZES = (1 / 12, 1 / 26)
SIZE_STEPS = 12
# The title card sits at the top of the safe area, on a translucent band.
CARD_MAX_HEIGHT = 0.3  # of the safe area's height
CARD_PADDING = 0.03  # of the frame's width
CARD_BAND = (0, 0, 0, 150)
SAVE_OPTIONS = {"JPEG": {"quality": 90, "optimize": True}}


def sizes(width: int, fractions: tuple[float, float]) -> list[int]:
    """Font sizes from width × the first fraction down to width × the second."""
    largest, smallest = (max(8, round(width * f)) for f in fractions)
    step = max(1.0, (largest - smallest) / SIZE_STEPS)
    tried = [round(largest - step * n) for n in range(SIZE_STEPS + 1)]
    return sorted(
        {size for size in tried if size > smallest} | {smallest}, reverse=True
    )


def draw_block(
    draw: ImageDraw.ImageDraw,
    block: TextBlock,
    box: Box,
    *,
    align: Align = "centre",
    fill: str | tuple[int, ...] = "white",
) -> None:
    """Draw the lines vertically centred in the box; "start" aligns left, or
    right for right-to-left text."""
    left, top, width, height = box
    y = top + (height - block.height) // 2
    for line in block.lines:
        room = width - block.font.getlength(line)
        offset = room / 2 if align == "centre" else room if block.rtl else 0
        draw.text((left + offset, y), line, font=block.font, fill=fill)
        y += block.line_height


def gradient(size: tuple[int, int]) -> Image.Image:
    top = Image.new("RGB", size, COVER_TOP_COLOUR)
    bottom = Image.new("RGB", size, COVER_BOTTOM_COLOUR)
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(bottom, top, mask)


def dimmed_picture(path: Path, size: tuple[int, int]) -> Image.Image:
    try:
        with Image.open(path) as picture:
            fitted = ImageOps.fit(ImageOps.exif_transpose(picture).convert("RGB"), size)
    except (OSError, UnidentifiedImageError) as error:
        raise MediaError(f"无法读取背景图：{path.name}") from error
    shade = Image.new("RGBA", size, (0, 0, 0, BACKGROUND_DIMMING))
    return Image.alpha_composite(fitted.convert("RGBA"), shade).convert("RGB")


def cover_title_box(size: tuple[int, int]) -> Box:
    width, height = size
    margin = round(width * COVER_MARGIN)
    top = round(height * COVER_TITLE_TOP)
    return margin, top, width - 2 * margin, round(height * COVER_TITLE_HEIGHT)


def cover_image(
    title: str, size: tuple[int, int], background: Path | None = None
) -> Image.Image:
    image = gradient(size) if background is None else dimmed_picture(background, size)
    box = cover_title_box(size)
    block = fit_text(title, box[2:], sizes(size[0], COVER_SIZES), balanced=True)
    draw_block(ImageDraw.Draw(image), block, box)
    return image


def save(image: Image.Image, out: Path) -> Path:
    """Save in the format the suffix names, under a temporary name first."""
    kind = Image.registered_extensions().get(out.suffix.lower())
    if kind is None:
        raise MediaError(f"不支持的图片格式：{out.name}")
    with atomic_output(out) as temp:
        image.save(temp, format=kind, **SAVE_OPTIONS.get(kind, {}))
    return out


def render_cover(
    title: str, preset: VideoPreset, out: Path, *, background: Path | None = None
) -> Path:
    """A cover at the preset's cover size with the title wrapped and shrunk
    to fit its box, ellipsised when even the smallest size does not."""
    size = (preset.cover_width, preset.cover_height)
    return save(cover_image(title, size, background), Path(out))


def title_card(title: str, size: tuple[int, int], safe_area: SafeArea) -> Image.Image:
    """A transparent frame with the title on a translucent band at the top
    of the safe area, for ffmpeg to overlay on the video's first seconds."""
    width, height = size
    card = Image.new("RGBA", size, (0, 0, 0, 0))
    inner_width = width - safe_area.left - safe_area.right
    inner_height = height - safe_area.top - safe_area.bottom
    padding = round(width * CARD_PADDING)
    text_box = (inner_width - 2 * padding, round(inner_height * CARD_MAX_HEIGHT))
    block = fit_text(title, text_box, sizes(width, CARD_SIZES), balanced=True)
    if not block.lines:
        return card
    band_height = block.height + 2 * padding
    draw = ImageDraw.Draw(card)
    band = (safe_area.left, safe_area.top, width - safe_area.right)
    draw.rectangle((band[0], band[1], band[2], band[1] + band_height), fill=CARD_BAND)
    box = (safe_area.left + padding, safe_area.top + padding, text_box[0], block.height)
    draw_block(draw, block, box)
    return card
