"""Reading SRT and WebVTT subtitles (UTF-8, UTF-16 or GBK/GB18030), checking
their timing, and writing them back as UTF-8 SRT for ffmpeg to burn in.

ffmpeg's subtitles filter opens its file with format auto-detection, so it
only ever gets the SRT written here from parsed cues; a document that is
not SRT or WebVTT text (binary data, a playlist, any other text) is refused
when it is read, before anything is burned."""

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from media_pipeline.errors import MediaError

BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Without a BOM: UTF-8 if it decodes, else GB18030, the superset of GBK and
# GB2312 that Chinese Windows editors save in.
FALLBACK_ENCODINGS = ("utf-8", "gb18030")
TIMING = re.compile(r"^\s*(?P<start>\S+)\s+-->\s+(?P<end>\S+)")
TIMESTAMP = re.compile(
    r"^(?:(?P<h>\d{1,3}):)?(?P<m>[0-5]?\d):(?P<s>[0-5]\d)[,.](?P<ms>\d{1,3})$"
)
MARKUP = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # HTML-like tags, ASS overrides
VTT_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")
# Control characters no subtitle text holds (tab, newlines and FF aside).
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    text: str  # plain text, lines separated by "\n"


def decode(data: bytes, name: str) -> str:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                break
    for encoding in FALLBACK_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise MediaError(f"字幕文件编码无法识别（应为 UTF-8 或 GBK）：{name}")


def seconds(stamp: str) -> float | None:
    match = TIMESTAMP.match(stamp)
    if match is None:
        return None
    h, m, s, ms = (match[key] for key in ("h", "m", "s", "ms"))
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def srt_time(value: float) -> str:
    millis = round(value * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02}:{minutes:02}:{secs:02},{millis:03}"


def plain(lines: Iterable[str]) -> str:
    """Cue text without markup (burn-in uses the house style), blank lines dropped."""
    cleaned = (html.unescape(MARKUP.sub("", line)).strip() for line in lines)
    return "\n".join(line for line in cleaned if line)


def blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Blank-line separated blocks, with the line number each starts on."""
    number, block = 0, []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            block.append(line)
        elif block:
            yield number - len(block), block
            block = []
    if block:
        yield number - len(block) + 1, block


def is_cue(block: list[str], webvtt: bool) -> bool:
    """False for WebVTT's header and its NOTE, STYLE and REGION blocks."""
    first = block[0].split()[0]
    return not (webvtt and (first.startswith("WEBVTT") or first in VTT_SKIPPED_BLOCKS))


def parse_cue(block: list[str], number: int, line: int, name: str) -> Cue | None:
    where = f"字幕第 {number} 条（第 {line} 行）"
    timing_at = next((i for i, text in enumerate(block[:2]) if "-->" in text), None)
    if timing_at is None:
        raise MediaError(f"{where}缺少时间行（开始 --> 结束）：{name}")
    timing = block[timing_at]
    match = TIMING.match(timing)
    start, end = (seconds(match[k]) if match else None for k in ("start", "end"))
    if start is None or end is None:
        raise MediaError(f"{where}时间格式无法识别「{timing.strip()}」：{name}")
    if end <= start:
        raise MediaError(
            f"{where}结束时间 {srt_time(end)} 不晚于开始时间 {srt_time(start)}：{name}"
        )
    text = plain(block[timing_at + 1 :])
    return Cue(start, end, text) if text else None


def parse(text: str, name: str) -> list[Cue]:
    webvtt = text.lstrip().startswith("WEBVTT")
    cues: list[Cue] = []
    number = 0
    for line, block in blocks(text):
        if not is_cue(block, webvtt):
            continue
        number += 1
        if cue := parse_cue(block, number, line, name):
            cues.append(cue)
    return cues


def check_text(text: str, name: str) -> None:
    """Refuse what is not SRT or WebVTT: binary data, or text whose first
    block is neither the WEBVTT header nor a cue with its timing line."""
    if CONTROLS.search(text):
        raise MediaError(f"不是 SRT 或 WebVTT 字幕文本（含二进制数据）：{name}")
    first = next(blocks(text), None)
    if first is None:
        return
    block = first[1]
    if not (block[0].startswith("WEBVTT") or any("-->" in line for line in block[:2])):
        raise MediaError(
            f"不是 SRT 或 WebVTT 字幕（应以 WEBVTT 或字幕序号、时间行开头）：{name}"
        )


def load_subtitles(path: Path | str) -> list[Cue]:
    """The cues of an SRT or WebVTT file, sorted by time. Overlapping cues
    are kept (they show stacked); a cue that ends before it starts, or whose
    time cannot be read, is an error naming the cue's number and line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise MediaError(f"无法读取字幕文件：{path}") from error
    text = decode(data, path.name)
    check_text(text, path.name)
    cues = parse(text, path.name)
    if not cues:
        raise MediaError(f"字幕文件中没有字幕：{path.name}")
    return sorted(cues, key=lambda cue: (cue.start, cue.end))


def write_srt(cues: Iterable[Cue], path: Path | str) -> Path:
    path = Path(path)
    entries = (
        f"{n}\n{srt_time(cue.start)} --> {srt_time(cue.end)}\n{cue.text}\n"
        for n, cue in enumerate(cues, start=1)
    )
    path.write_text("\n".join(entries), encoding="utf-8")
    return path
