"""Which container a media file is, told from its first bytes before any tool
opens it, and the only way the pipeline hands an upload to ffmpeg/ffprobe.

ffmpeg picks a demuxer from a file's content, whatever its name: a text
playlist uploaded as `.mp4` is opened as HLS, and its segment lines make
ffmpeg read other files on the server (ffconcat lists and SDP files alike,
and a URL reaches the network). So a file goes to ffmpeg only as
`input_options()` gives it: the demuxer identified here forced (`-f`), the
file protocol alone allowed, the path as an absolute `file:` URL. Anything
that is not one of the containers uploads may be (wagtailmedia's audio and
video extensions) is refused with the reason in Chinese, and nothing runs.

Cost: one read of HEAD_BYTES (one more per ID3 tag in front of the audio).
"""

import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import ffmpeg

from media_pipeline.errors import MediaError, Problem, gettext_noop

HEAD_BYTES = 4096
# ISO base media files (MP4, MOV, M4A, 3GP) open with one of these boxes.
ISO_FIRST_BOXES = frozenset(
    {b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide"}
)
TS_PACKET = 188
TS_PACKETS_CHECKED = 5
ID3_HEADER = 10
MAX_ID3_TAGS = 4  # tags stacked in front of the audio before we give up
# ADTS sampling-frequency indexes 13..15 are reserved.
ADTS_FREQUENCIES = 13
# Bytes a text file may hold besides printable ones: tab, newline, CR, FF.
TEXT_CONTROLS = frozenset(b"\t\n\r\f")
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
SDP_LINE = re.compile(r"^[a-z]=")

# The containers: file signature → ffmpeg demuxer. Checked in order by container().
RIFF_FORMS = {b"WAVE": "wav", b"AVI ": "avi"}
AIFF_FORMS = frozenset({b"AIFF", b"AIFC"})
SIGNATURES = (
    (b"\x1a\x45\xdf\xa3", "matroska"),  # Matroska and WebM (EBML header)
    (b"fLaC", "flac"),
    (b"OggS", "ogg"),
    (b"\x00\x00\x01\xba", "mpeg"),  # MPEG program stream pack header
)

REFUSALS = {
    "hls": gettext_noop(
        "文件内容不是允许的音视频格式：检测到 HLS 播放列表（#EXTM3U），已拒绝：%(name)s"
    ),
    "ffconcat": gettext_noop(
        "文件内容不是允许的音视频格式：检测到 ffconcat 拼接列表"
        "（ffconcat version），已拒绝：%(name)s"
    ),
    "sdp": gettext_noop(
        "文件内容不是允许的音视频格式：检测到 SDP 会话描述（v=0），已拒绝：%(name)s"
    ),
    "url": gettext_noop(
        "文件内容不是允许的音视频格式：检测到网址（URL），已拒绝：%(name)s"
    ),
    "text": gettext_noop(
        "文件内容不是允许的音视频格式：检测到文本，不是音视频数据，已拒绝：%(name)s"
    ),
    "unknown": gettext_noop(
        "文件内容不是允许的音视频格式：无法识别的数据（不是 MP4、MOV、WebM、"
        "MKV、MP3、WAV 等音视频文件），已拒绝：%(name)s"
    ),
}


class ContentRefused(MediaError):
    """The file's bytes are not an allowed media container; no tool opened it."""

    def __init__(self, code: str, name: str) -> None:
        self.problem = Problem(code, REFUSALS[code], {"name": name})
        super().__init__(self.problem.message)

    def render(self, translate: Callable[[str], str]) -> str:
        return self.problem.render(translate)


def id3_size(head: bytes) -> int:
    """The length of an ID3v2 tag at the start of head (header, body and
    footer), 0 when there is none."""
    if len(head) < ID3_HEADER or head[:3] != b"ID3" or head[3] == 0xFF:
        return 0
    size_bytes = head[6:10]
    if any(byte & 0x80 for byte in size_bytes):
        return 0  # not a syncsafe integer: not a tag
    size = 0
    for byte in size_bytes:
        size = size << 7 | byte
    footer = ID3_HEADER if head[5] & 0x10 else 0
    return ID3_HEADER + size + footer


def is_mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG-1/2/2.5 audio (MP3, MP2) frame header: sync, a known version,
    layer, bitrate and sampling rate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = head[1] >> 3 & 0b11, head[1] >> 1 & 0b11
    bitrate, rate = head[2] >> 4, head[2] >> 2 & 0b11
    return version != 0b01 and layer != 0 and bitrate not in (0, 15) and rate != 3


def is_adts_frame(head: bytes) -> bool:
    """An AAC ADTS frame header: 12-bit sync, layer 0, a known sampling rate."""
    if len(head) < 7 or head[0] != 0xFF or head[1] & 0xF6 != 0xF0:
        return False
    return head[2] >> 2 & 0x0F < ADTS_FREQUENCIES


def is_mpeg_ts(head: bytes) -> bool:
    """0x47 sync bytes at every 188-byte packet start in head (at least two)."""
    starts = range(0, min(len(head), TS_PACKET * TS_PACKETS_CHECKED), TS_PACKET)
    return len(starts) >= 2 and all(head[start] == 0x47 for start in starts)


def container(head: bytes) -> str | None:
    """The demuxer for a file starting with head, None when it is none of
    the allowed containers. An ID3 tag in front must already be skipped."""
    if head[4:8] in ISO_FIRST_BOXES:
        return "mov"
    if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] in RIFF_FORMS:
        return RIFF_FORMS[head[8:12]]
    if head[:4] == b"FORM" and head[8:12] in AIFF_FORMS:
        return "aiff"
    for signature, demuxer in SIGNATURES:
        if head.startswith(signature):
            return demuxer
    if is_mpeg_ts(head):
        return "mpegts"
    if is_adts_frame(head):
        return "aac"
    if is_mpeg_audio_frame(head):
        return "mp3"
    return None


def is_text(head: bytes) -> bool:
    return all(byte >= 0x20 or byte in TEXT_CONTROLS for byte in head)


def text_kind(head: bytes) -> str:
    """What a text file is, for the refusal: a playlist, a list, a session
    description, a URL or just text."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    first = text.split("\n", 1)[0].strip()
    if first.startswith("#EXT"):
        return "hls"
    if first.startswith("ffconcat version"):
        return "ffconcat"
    if first == "v=0" and all(
        SDP_LINE.match(line) for line in text.splitlines()[:3] if line.strip()
    ):
        return "sdp"
    if URL.match(first):
        return "url"
    return "text"


def refusal(head: bytes) -> str:
    """Why a file starting with head (none of the containers) is refused."""
    return text_kind(head) if is_text(head) else "unknown"


def read_head(stream: BinaryIO) -> tuple[bytes, bool]:
    """The first HEAD_BYTES past any ID3 tags (which ffmpeg skips in front
    of every format), and whether there were tags."""
    offset = stream.tell()
    for tags in range(MAX_ID3_TAGS + 1):
        stream.seek(offset)
        head = stream.read(HEAD_BYTES)
        if not (size := id3_size(head)):
            return head, tags > 0
        offset += size
    return b"", True


def identify_stream(stream: BinaryIO, name: str) -> str:
    """The demuxer to force for the file read from stream (from its current
    position, where the stream is left); raises ContentRefused naming what
    the file is instead. Text behind an ID3 tag is no more than unknown."""
    start = stream.tell()
    try:
        head, tagged = read_head(stream)
    finally:
        stream.seek(start)
    if found := container(head):
        return found
    raise ContentRefused("unknown" if tagged else refusal(head), name)


def identify(path: Path | str) -> str:
    """The demuxer to force for the file at path; see identify_stream()."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            return identify_stream(stream, path.name)
    except OSError as error:
        raise MediaError(f"无法读取文件：{path.name}（{error.strerror}）") from error


def input_options(path: Path | str) -> tuple[str, dict[str, str]]:
    """The URL and input options an upload is opened with, by ffmpeg-python
    (`ffmpeg.input(url, **options)`) or ffprobe (`input_args()`): its
    identified demuxer forced, no protocol but file, an absolute file: URL."""
    path = Path(path)
    options = {"f": identify(path), "protocol_whitelist": "file"}
    return f"file:{path.resolve()}", options


def media_input(path: Path | str, **options: object):
    """ffmpeg.input() of an upload, opened as input_options() says."""
    url, safe = input_options(path)
    return ffmpeg.input(url, **safe, **options)


def input_args(path: Path | str) -> list[str]:
    """ffprobe's (or a hand-built ffmpeg command's) arguments for reading
    an upload, ending with `-i` and its URL."""
    url, safe = input_options(path)
    return [
        "-f",
        safe["f"],
        "-protocol_whitelist",
        safe["protocol_whitelist"],
        "-i",
        url,
    ]
