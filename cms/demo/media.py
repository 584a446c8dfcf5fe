"""The demo's media files, made at load time so that no binary is committed:
title cards (Pillow, Noto Sans CJK), short H.264/AAC clips and audio beds
(ffmpeg), SRT subtitles; and the plan of which files the demo needs, rendered
only when missing from storage."""

import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

import ffmpeg
from django.core.files import File
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFont

from cms.demo import content

CJK_FONT_PATTERN = "Noto Sans CJK SC:style=Bold"
BRAND = "科普全媒体"
CARD_SIZE = (1200, 675)
VIDEO_SIZE = (640, 360)
VIDEO_SECONDS = 5
FRAME_RATE = 25
LINE_HEIGHT = 1.3
TITLE_SIZES = range(88, 31, -4)  # largest first, at the 1200-pixel reference width
# Chinese line breaking: what may not begin a line, what may not end one.
NO_LINE_START = frozenset("，。、；：？！）》」』”’…%")
NO_LINE_END = frozenset("（《「『“‘")
# Latin words and numbers wrap as a whole; everything else character by character.
TOKEN = re.compile(r"[A-Za-z0-9.%/]+|.")


@dataclass(frozen=True)
class Probe:
    duration: float
    width: int | None
    height: int | None


@dataclass(frozen=True)
class TitleBlock:
    font: ImageFont.FreeTypeFont
    lines: list[str]
    line_height: int


@cache
def cjk_font_file() -> tuple[str, int]:
    """The Noto Sans CJK file and the index of its Simplified Chinese face."""
    result = subprocess.run(
        ["fc-match", "--format=%{file}\n%{index}", CJK_FONT_PATTERN],
        capture_output=True,
        text=True,
        check=True,
    )
    path, index = result.stdout.split("\n")
    if "NotoSansCJK" not in Path(path).name:
        raise RuntimeError(f"Noto Sans CJK not installed (fc-match gave {path})")
    return path, int(index)


@cache
def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    path, index = cjk_font_file()
    return ImageFont.truetype(path, size, index=index)


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy line breaking by measured width, keeping the Chinese rules: no
    closing punctuation at a line's start, no opening one at its end."""
    lines: list[str] = []
    line = ""
    for token in TOKEN.findall(text):
        if not line or font.getlength(line + token) <= width:
            line += token
            continue
        cut = len(line) - (token in NO_LINE_START)
        while cut > 1 and line[cut - 1] in NO_LINE_END:
            cut -= 1
        cut = max(cut, 1)
        lines.append(line[:cut])
        line = line[cut:] + token
    return [*lines, line] if line else lines


def fit_title(text: str, box: tuple[int, int], scale: float) -> TitleBlock:
    """The largest title size whose wrapped lines fit inside the box."""
    width, height = box
    for reference_size in TITLE_SIZES:
        font = cjk_font(round(reference_size * scale))
        lines = wrap(text, font, width)
        line_height = round(font.size * LINE_HEIGHT)
        fits_width = all(font.getlength(line) <= width for line in lines)
        if fits_width and len(lines) * line_height <= height:
            return TitleBlock(font, lines, line_height)
    raise ValueError(f"title too long for a {width}x{height} box: {text}")


def hex_rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.lstrip("#"), 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


def mix(colour: str, other: tuple[int, int, int], amount: float) -> tuple[int, ...]:
    return tuple(
        round(a + (b - a) * amount) for a, b in zip(hex_rgb(colour), other, strict=True)
    )


Box = tuple[int, int, int, int]  # left, top, width, height


def draw_title(
    draw: ImageDraw.ImageDraw, block: TitleBlock, box: Box, centred: bool
) -> None:
    left, top, width, height = box
    y = top + (height - len(block.lines) * block.line_height) // 2
    for line in block.lines:
        x = left + (width - block.font.getlength(line)) / 2 if centred else left
        draw.text((x, y), line, font=block.font, fill="white")
        y += block.line_height


def render_card(
    title: str, label: str, colour: str, size: tuple[int, int] = CARD_SIZE
) -> Image.Image:
    """An illustrative card: coloured ground, a few shapes, the topic label,
    the wrapped title and the brand line."""
    width, height = size
    s = width / CARD_SIZE[0]
    image = Image.new("RGB", size, hex_rgb(colour))
    draw = ImageDraw.Draw(image)
    light = mix(colour, (255, 255, 255), 0.18)
    dark = mix(colour, (0, 0, 0), 0.25)
    draw.ellipse((width - 380 * s, -260 * s, width + 260 * s, 380 * s), fill=light)
    draw.ellipse(
        (-150 * s, height - 170 * s, 210 * s, height + 190 * s),
        outline=dark,
        width=round(22 * s),
    )
    for row in range(3):
        for col in range(5):
            x, y = width - (330 - col * 46) * s, (420 + row * 46) * s
            draw.ellipse((x, y, x + 12 * s, y + 12 * s), fill=light)
    label_font = cjk_font(round(30 * s))
    label_width = label_font.getlength(label)
    draw.rounded_rectangle(
        (80 * s, 64 * s, 80 * s + label_width + 48 * s, 118 * s),
        radius=27 * s,
        fill=dark,
    )
    draw.text((104 * s, 91 * s), label, font=label_font, fill="white", anchor="lm")
    box = (round(80 * s), round(160 * s), round(780 * s), round(360 * s))
    draw_title(draw, fit_title(title, box[2:], s), box, centred=False)
    draw.line(
        (80 * s, 575 * s, width - 80 * s, 575 * s),
        fill=light,
        width=max(1, round(2 * s)),
    )
    draw.text(
        (80 * s, 615 * s), BRAND, font=cjk_font(round(28 * s)), fill=light, anchor="lm"
    )
    return image


def render_title_overlay(title: str, size: tuple[int, int] = VIDEO_SIZE) -> Image.Image:
    """A transparent frame with the centred title on a dark band, for ffmpeg to
    lay over a moving background."""
    width, height = size
    s = width / CARD_SIZE[0]
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.3, width, height * 0.7), fill=(0, 0, 0, 120))
    box = (
        round(80 * s),
        round(height * 0.3),
        round(width - 160 * s),
        round(height * 0.4),
    )
    draw_title(draw, fit_title(title, box[2:], s * 1.6), box, centred=True)
    brand_font = cjk_font(round(40 * s))
    draw.text(
        (width - 40 * s, height - 40 * s),
        BRAND,
        font=brand_font,
        fill="white",
        anchor="rs",
    )
    return image


def run(stream) -> None:
    try:
        stream.overwrite_output().run(capture_stdout=True, capture_stderr=True)
    except ffmpeg.Error as error:
        raise RuntimeError(error.stderr.decode(errors="replace")[-1500:]) from error


def faded(audio, seconds: float):
    return audio.filter("afade", t="in", d=0.5).filter(
        "afade", t="out", st=seconds - 1, d=1
    )


def render_video(path: Path, title: str, colour: str, seconds: float) -> None:
    """A short 640x360 H.264/AAC clip: a slowly turning gradient in the topic's
    colour, the title overlaid, a soft tone underneath."""
    overlay = path.with_suffix(".title.png")
    render_title_overlay(title).save(overlay)
    width, height = VIDEO_SIZE
    start, end = mix(colour, (255, 255, 255), 0.1), mix(colour, (0, 0, 0), 0.45)
    background = ffmpeg.input(
        f"gradients=s={width}x{height}:r={FRAME_RATE}:d={seconds}:speed=0.02"
        f":c0=0x{bytes(start).hex()}:c1=0x{bytes(end).hex()}",
        f="lavfi",
    )
    video = background.overlay(ffmpeg.input(str(overlay)))
    tone = ffmpeg.input(
        f"sine=frequency=440:sample_rate=44100:duration={seconds}", f="lavfi"
    )
    audio = faded(tone.filter("volume", 0.15), seconds)
    run(
        ffmpeg.output(
            video,
            audio,
            str(path),
            t=seconds,
            vcodec="libx264",
            preset="veryfast",
            crf=28,
            pix_fmt="yuv420p",
            acodec="aac",
            audio_bitrate="64k",
            movflags="+faststart",
        )
    )
    overlay.unlink()


def render_audio(path: Path, seconds: float) -> None:
    """A soft, slowly pulsing C-major chord: the bed a radio segment is read over."""
    chord = "+".join(f"0.08*sin(2*PI*{hz}*t)" for hz in (261.63, 329.63, 392.0))
    source = ffmpeg.input(
        f"aevalsrc=({chord})*(0.7+0.3*sin(2*PI*0.25*t)):s=44100:d={seconds}", f="lavfi"
    )
    run(
        faded(source, seconds).output(
            str(path), acodec="aac", audio_bitrate="64k", ac=1, movflags="+faststart"
        )
    )


def timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02}:{minutes:02}:{secs:02},{millis:03}"


def srt(cues: Sequence[str], seconds: float) -> str:
    """Subtitles with the cues spread evenly over the clip."""
    step = seconds / len(cues)
    return "\n".join(
        f"{n}\n{timestamp((n - 1) * step)} --> {timestamp(n * step - 0.1)}\n{text}\n"
        for n, text in enumerate(cues, start=1)
    )


def probe(path: Path) -> Probe:
    info = ffmpeg.probe(str(path))
    video = next((s for s in info["streams"] if s["codec_type"] == "video"), {})
    return Probe(
        duration=round(float(info["format"]["duration"]), 2),
        width=video.get("width"),
        height=video.get("height"),
    )


# The demo's files in storage --------------------------------------------------

# Where each kind of file goes in storage (folder, suffix); its name is the
# item's slug, so a file is found again on the next load.
STORED = {
    "card": ("original_images/demo/", ".png"),
    "video": ("media/demo/", ".mp4"),
    "thumbnail": ("media_thumbnails/demo/", ".jpg"),
    "audio": ("media/demo/", ".m4a"),
    "subtitles": ("documents/demo/", ".srt"),
}
TOPICS = {topic.slug: topic for topic in content.TOPICS}


def stored_name(kind: str, slug: str) -> str:
    folder, suffix = STORED[kind]
    return f"{folder}{slug}{suffix}"


@dataclass(frozen=True)
class Asset:
    name: str  # the path in storage
    render: Callable[[Path], None]


def has_figure(item: content.Item) -> bool:
    return any(isinstance(block, content.Figure) for block in getattr(item, "body", ()))


def root_topic(slug: str) -> content.TopicData:
    topic = TOPICS[slug]
    while topic.parent:
        topic = TOPICS[topic.parent]
    return topic


def save_card(path: Path, item: content.Item, size: tuple[int, int]) -> None:
    topic = TOPICS[item.topics[0]]
    card = render_card(item.title, topic.name, root_topic(topic.slug).colour, size)
    card.save(path)


def save_subtitles(path: Path, video: content.Video) -> None:
    path.write_text(srt(video.subtitles, VIDEO_SECONDS), encoding="utf-8")


def video_assets(video: content.Video) -> list[Asset]:
    colour = root_topic(video.topics[0]).colour
    clip = partial(
        render_video, title=video.title, colour=colour, seconds=VIDEO_SECONDS
    )
    return [
        Asset(stored_name("video", video.slug), clip),
        Asset(
            stored_name("thumbnail", video.slug),
            partial(save_card, item=video, size=VIDEO_SIZE),
        ),
        Asset(
            stored_name("subtitles", video.slug), partial(save_subtitles, video=video)
        ),
    ]


def demo_assets() -> list[Asset]:
    """Every file the demo content refers to."""
    items = [*content.ARTICLES, *(e for c in content.COLUMNS for e in c.episodes)]
    assets = [
        Asset(
            stored_name("card", item.slug),
            partial(save_card, item=item, size=CARD_SIZE),
        )
        for item in items
        if has_figure(item)
    ]
    for video in content.VIDEOS:
        assets += video_assets(video)
    for column in content.COLUMNS:
        if column.audio_seconds:
            bed = partial(render_audio, seconds=column.audio_seconds)
            assets += [
                Asset(stored_name("audio", e.slug), bed) for e in column.episodes
            ]
    return assets


def store_missing(assets: list[Asset]) -> int:
    """Render the assets not yet in storage (in parallel) and store them under
    their names; files already stored are kept as they are."""
    missing = [asset for asset in assets if not default_storage.exists(asset.name)]
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"{n}{Path(a.name).suffix}" for n, a in enumerate(missing)]
        with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
            list(pool.map(lambda asset, path: asset.render(path), missing, paths))
        for asset, path in zip(missing, paths, strict=True):
            with path.open("rb") as rendered:
                default_storage.save(asset.name, File(rendered))
    return len(missing)


@contextmanager
def local_copy(name: str) -> Iterator[Path]:
    """A stored file as a local path: the file itself on local storage, a
    temporary copy on remote storage (S3)."""
    try:
        local_path = default_storage.path(name)
    except NotImplementedError:
        local_path = None
    if local_path is not None:
        yield Path(local_path)
        return
    with tempfile.TemporaryDirectory() as tmp, default_storage.open(name) as stored:
        copy = Path(tmp) / Path(name).name
        copy.write_bytes(stored.read())
        yield copy
