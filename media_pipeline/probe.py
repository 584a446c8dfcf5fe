"""What a media file holds (ffprobe), and a poster frame for videos. Both
open the file only as media_pipeline.identify allows: its container told
from its bytes first, that demuxer forced, no protocol but file."""

import json
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from media_pipeline.errors import MediaError
from media_pipeline.identify import identify, input_args, media_input
from media_pipeline.progress import atomic_output, error_details, run_ffmpeg

PROBE_TIMEOUT_SECONDS = 60
POSTER_MAX_WIDTH = 1280
POSTER_QUALITY = 3  # mjpeg qscale: 2 (best) .. 31


@dataclass(frozen=True)
class MediaInfo:
    duration: float  # seconds
    size_bytes: int
    format_name: str
    bit_rate: int | None  # bits per second, whole file
    has_video: bool
    has_audio: bool
    width: int | None  # as stored
    height: int | None
    frame_rate: float | None
    video_codec: str | None
    audio_codec: str | None
    audio_channels: int | None
    sample_rate: int | None
    rotation: int  # degrees clockwise a player turns the picture: 0, 90, 180, 270
    display_width: int | None  # as shown, after rotation
    display_height: int | None


@dataclass(frozen=True)
class Box:
    kind: bytes
    offset: int
    size: int


def iso_boxes(path: Path) -> list[Box]:
    """The top-level boxes of an ISO base media file, in file order; a box
    whose declared size runs past the end of the file ends the list."""
    boxes: list[Box] = []
    end = path.stat().st_size
    with path.open("rb") as stream:
        offset = 0
        while offset + 8 <= end:
            stream.seek(offset)
            size, kind = struct.unpack(">I4s", stream.read(8))
            if size == 1:
                (size,) = struct.unpack(">Q", stream.read(8))
            elif size == 0:
                size = end - offset
            if size < 8:
                break
            boxes.append(Box(kind, offset, size))
            offset += size
    return boxes


def is_iso_media(path: Path) -> bool:
    return identify(path) == "mov"


def missing_bytes(path: Path) -> int:
    """How many bytes an ISO media file's boxes promise beyond its end."""
    boxes = iso_boxes(path)
    if not boxes:
        return 0
    last = boxes[-1]
    return max(0, last.offset + last.size - path.stat().st_size)


def run_ffprobe(path: Path) -> dict:
    command = ["ffprobe", "-v", "error", "-show_format", "-show_streams"]
    try:
        result = subprocess.run(
            [*command, "-of", "json", *input_args(path)],
            capture_output=True,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MediaError(f"读取媒体信息超时：{path.name}") from None
    except OSError as error:
        raise MediaError(f"无法启动 ffprobe：{error}") from error
    details = error_details(result.stderr.decode(errors="replace").splitlines())
    if result.returncode != 0:
        if is_iso_media(path):
            raise MediaError(
                f"文件不完整或已损坏（可能上传中断）：{path.name}", details
            )
        raise MediaError(f"不是可识别的音视频文件：{path.name}", details)
    return json.loads(result.stdout)


def check_readable(path: Path) -> int:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise MediaError(f"文件不存在：{path}") from None
    if not path.is_file():
        raise MediaError(f"不是文件：{path}")
    if size == 0:
        raise MediaError(f"文件为空（0 字节）：{path.name}")
    return size


def frame_rate(stream: dict) -> float | None:
    for key in ("avg_frame_rate", "r_frame_rate"):
        numerator, _, denominator = stream.get(key, "0/0").partition("/")
        if float(denominator or 1) and float(numerator):
            return round(float(numerator) / float(denominator or 1), 3)
    return None


def rotation(stream: dict) -> int:
    """Clockwise display rotation from the display matrix (or old rotate tag)."""
    degrees = stream.get("tags", {}).get("rotate", 0)
    for side_data in stream.get("side_data_list", []):
        if "rotation" in side_data:
            degrees = -float(side_data["rotation"])
    return round(float(degrees)) % 360


def optional_int(value: object) -> int | None:
    return int(value) if value not in (None, "", "N/A") else None


def duration(data: dict, streams: list[dict]) -> float:
    values = [data["format"].get("duration")]
    values += [stream.get("duration") for stream in streams]
    return max((float(v) for v in values if v not in (None, "N/A")), default=0.0)


def media_info(data: dict, size: int) -> MediaInfo:
    streams = data.get("streams", [])
    video = next(
        (
            s
            for s in streams
            if s["codec_type"] == "video"
            and not s.get("disposition", {}).get("attached_pic")
        ),
        None,
    )
    audio = next((s for s in streams if s["codec_type"] == "audio"), None)
    video, audio = video or {}, audio or {}
    turn = rotation(video)
    width, height = video.get("width"), video.get("height")
    display = (height, width) if turn in (90, 270) else (width, height)
    return MediaInfo(
        duration=duration(data, [video, audio]),
        size_bytes=size,
        format_name=data["format"].get("format_name", ""),
        bit_rate=optional_int(data["format"].get("bit_rate")),
        has_video=bool(video),
        has_audio=bool(audio),
        width=width,
        height=height,
        frame_rate=frame_rate(video) if video else None,
        video_codec=video.get("codec_name"),
        audio_codec=audio.get("codec_name"),
        audio_channels=audio.get("channels"),
        sample_rate=optional_int(audio.get("sample_rate")),
        rotation=turn,
        display_width=display[0],
        display_height=display[1],
    )


def probe(path: Path | str) -> MediaInfo:
    """Probe a file, refusing what cannot be used: missing, empty, not an
    allowed container (before ffprobe starts), truncated, corrupt, or
    without a duration (a still image)."""
    path = Path(path)
    size = check_readable(path)
    info = media_info(run_ffprobe(path), size)
    if is_iso_media(path) and (missing := missing_bytes(path)):
        raise MediaError(
            f"文件不完整（缺少 {missing} 字节，可能上传中断）：{path.name}"
        )
    if not (info.has_video or info.has_audio):
        raise MediaError(f"文件中没有音频或视频：{path.name}")
    if info.duration <= 0:
        raise MediaError(f"无法读取时长（可能是图片或已损坏）：{path.name}")
    return info


def poster_time(info: MediaInfo, at: float | None) -> float:
    """The requested second, or a tenth of the way in (past a fade from
    black, at most 5 s), kept at least one frame before the end."""
    last = max(0.0, info.duration - 1 / (info.frame_rate or 25))
    wanted = min(info.duration * 0.1, 5.0) if at is None else at
    return min(max(wanted, 0.0), last)


def take_poster(
    path: Path | str,
    out_path: Path | str,
    at: float | None = None,
    info: MediaInfo | None = None,
) -> Path:
    """Write one frame of the video as a JPEG (at most POSTER_MAX_WIDTH wide),
    under a temporary name first, so a failed run leaves no poster behind."""
    path, out_path = Path(path), Path(out_path)
    info = info or probe(path)
    if not info.has_video:
        raise MediaError(f"没有视频画面，无法截取封面帧：{path.name}")
    seconds = poster_time(info, at)
    with atomic_output(out_path) as temp:
        frame = (
            media_input(path, ss=seconds)
            .video.filter("scale", f"min({POSTER_MAX_WIDTH},iw)", -2)
            .output(str(temp), vframes=1, format="mjpeg", **{"q:v": POSTER_QUALITY})
            .overwrite_output()
        )
        run_ffmpeg(frame.compile(), name=path.name, duration=0)
        if not temp.exists() or temp.stat().st_size == 0:
            raise MediaError(
                f"截取封面帧失败（{seconds:.1f} 秒处没有画面）：{path.name}"
            )
    return out_path
