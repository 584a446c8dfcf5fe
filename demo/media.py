"""The demo's media files, made at load time so that no binary is committed:
title cards (Pillow, Noto Sans CJK), short H.264/AAC clips and audio beds
(ffmpeg), SRT subtitles; and the plan of which files the demo needs, rendered
only when missing from storage."""

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import ffmpeg
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from demo import content
from media_pipeline.cover import draw_block
from media_pipeline.fonts import NO_LINE_END as NO_LINE_END
from media_pipeline.fonts import NO_LINE_START as NO_LINE_START
from media_pipeline.fonts import TextBlock, cjk_font, fit_text
from media_pipeline.fonts import wrap as wrap
from media_pipeline.probe import probe as probe_media
from media_pipeline.subtitles import srt_time

BRAND = "科普全媒体"
CARD_SIZE = (1200, 675)
VIDEO_SIZE = (1920, 1080)  # what the platforms and big screens take
GRADIENT_SIZE = (640, 360)  # drawn small and scaled up: smooth, and quick
VIDEO_SECONDS = 5
FRAME_RATE = 25
TITLE_SIZES = range(88, 31, -4)  # largest first, at the 1200-pixel reference width


@dataclass(frozen=True)
class Probe:
    duration: float
    width: int | None
    height: int | None


def fit_title(text: str, box: tuple[int, int], scale: float) -> TextBlock:
    """The largest title size whose wrapped lines fit inside the box (cut
    with an ellipsis if none does)."""
    sizes = [round(size * scale) for size in TITLE_SIZES]
    return fit_text(text, box, sizes, balanced=True)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.lstrip("#"), 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


def mix(colour: str, other: tuple[int, int, int], amount: float) -> tuple[int, ...]:
    return tuple(
        round(a + (b - a) * amount) for a, b in zip(hex_rgb(colour), other, strict=True)
    )


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
    draw_block(draw, fit_title(title, box[2:], s), box, align="start")
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
    draw_block(draw, fit_title(title, box[2:], s * 1.6), box)
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
    """A short 1080p H.264/AAC clip: a slowly turning gradient in the topic's
    colour, the title overlaid, a soft tone underneath."""
    overlay = path.with_suffix(".title.png")
    render_title_overlay(title).save(overlay)
    width, height = GRADIENT_SIZE
    start, end = mix(colour, (255, 255, 255), 0.1), mix(colour, (0, 0, 0), 0.45)
    background = ffmpeg.input(
        f"gradients=s={width}x{height}:r={FRAME_RATE}:d={seconds}:speed=0.02"
        f":c0=0x{bytes(start).hex()}:c1=0x{bytes(end).hex()}",
        f="lavfi",
    )
    video = background.filter("scale", *VIDEO_SIZE).overlay(ffmpeg.input(str(overlay)))
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
            preset="ultrafast",  # a third of veryfast's time, for flat gradients
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


def srt(cues: Sequence[str], seconds: float) -> str:
    """Subtitles with the cues spread evenly over the clip."""
    step = seconds / len(cues)
    return "\n".join(
        f"{n}\n{srt_time((n - 1) * step)} --> {srt_time(n * step - 0.1)}\n{text}\n"
        for n, text in enumerate(cues, start=1)
    )


def probe(path: Path) -> Probe:
    info = probe_media(path)
    return Probe(round(info.duration, 2), info.width, info.height)


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
    with rendered(missing) as paths:
        for asset, path in zip(missing, paths, strict=True):
            with path.open("rb") as file:
                default_storage.save(asset.name, File(file))
    return len(missing)


@contextmanager
def rendered(assets: list[Asset]) -> Iterator[list[Path]]:
    """The assets' files: rendered into a temporary folder, or, where
    settings.DEMO_RENDER_CACHE names a folder (a test run's, shared by its
    processes), kept there, so that each is rendered once per folder."""
    cache = getattr(settings, "DEMO_RENDER_CACHE", None)
    if cache is None:
        with tempfile.TemporaryDirectory() as tmp:
            paths = [
                Path(tmp) / f"{n}{Path(asset.name).suffix}"
                for n, asset in enumerate(assets)
            ]
            render_all(assets, paths)
            yield paths
        return
    folder = Path(cache)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / asset.name.replace("/", "__") for asset in assets]
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process renders, the others wait
        todo = [(a, p) for a, p in zip(assets, paths, strict=True) if not p.exists()]
        parts = [p.with_name(f"rendering-{p.name}") for _, p in todo]
        render_all([asset for asset, _ in todo], parts)
        for part, (_, path) in zip(parts, todo, strict=True):
            part.replace(path)  # whole files only, even if a render failed
    yield paths


def render_all(assets: list[Asset], paths: list[Path]) -> None:
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        list(pool.map(lambda asset, path: asset.render(path), assets, paths))
