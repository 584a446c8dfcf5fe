"""Fonts for Chinese (Noto Sans CJK SC) and Arabic-script (Noto Sans Arabic,
for Uyghur) text, and fitting text into a box: wrapped by measured width
with the Chinese line-breaking rules, shrunk until it fits, ellipsised when
even the smallest size does not."""

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from PIL import ImageFont

from media_pipeline.errors import MediaError

CJK_FAMILY = "Noto Sans CJK SC"
CJK_PATTERN = f"{CJK_FAMILY}:style=Bold"
ARABIC_PATTERN = "Noto Sans Arabic:style=Bold"
LINE_SPACING = 1.3  # line height as a multiple of the font size
ELLIPSIS = "…"
# Chinese line breaking: what may not begin a line, what may not end one.
NO_LINE_START = frozenset("，。、；：？！）》」』〉】〕”’…%,.;:?!)]}")
NO_LINE_END = frozenset("（《「『〈【〔“‘([{")
# Letters of scripts that separate words with spaces (Latin, Greek, Cyrillic,
# Arabic): their words, and numbers, wrap whole; CJK wraps by character.
SPACED_LETTERS = (
    "A-Za-z0-9\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
    "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc"
)
TOKEN = re.compile(rf"[{SPACED_LETTERS}][{SPACED_LETTERS}.%/'’+\-]*|\s+|.", re.S)
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufefc]")
HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")

Font = ImageFont.FreeTypeFont


def font_file(pattern: str, expected: str) -> tuple[str, int]:
    """The font file fontconfig picks for a pattern, and the index of the
    face inside it (a .ttc holds several: the SC face is not the first)."""
    try:
        result = subprocess.run(
            ["fc-match", "--format=%{file}\n%{index}", pattern],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise MediaError(f"无法查找字体 {pattern}：{error}") from error
    path, _, index = result.stdout.partition("\n")
    if expected not in Path(path).name:
        raise MediaError(f"未安装字体 {pattern}（fc-match 给出 {path}）")
    return path, int(index or 0)


@cache
def cjk_font_file() -> tuple[str, int]:
    """The Noto Sans CJK file and the index of its Simplified Chinese face."""
    return font_file(CJK_PATTERN, "NotoSansCJK")


@cache
def arabic_font_file() -> tuple[str, int]:
    return font_file(ARABIC_PATTERN, "NotoSansArabic")


@cache
def cjk_font(size: int) -> Font:
    path, index = cjk_font_file()
    return ImageFont.truetype(path, size, index=index)


@cache
def arabic_font(size: int) -> Font:
    """Noto Sans Arabic through raqm, which shapes and orders RTL text."""
    path, index = arabic_font_file()
    return ImageFont.truetype(
        path, size, index=index, layout_engine=ImageFont.Layout.RAQM
    )


def is_rtl(text: str) -> bool:
    """Arabic-script text (Uyghur) without Chinese in it."""
    return bool(ARABIC_SCRIPT.search(text)) and not HAN.search(text)


def font_for(text: str, size: int) -> Font:
    return arabic_font(size) if is_rtl(text) else cjk_font(size)


def tokens(text: str, font: Font, width: float) -> list[str]:
    """Words of spaced scripts, runs of space, single other characters; a
    word wider than the line is split into characters rather than overflow."""
    result: list[str] = []
    for token in TOKEN.findall(text):
        if len(token) > 1 and not token.isspace() and font.getlength(token) > width:
            result += list(token)
        else:
            result.append(token)
    return result


def break_at(line: list[str], token: str, font: Font, width: float) -> int:
    """Where to end a full line (its tokens from there move down, before
    `token`) so that the next line does not open with closing punctuation
    and this one does not end with opening punctuation. When no such break
    leaves the moved part within the width, break right before `token`."""
    for cut in range(len(line), 0, -1):
        moved = ("".join(line[cut:]) + token).strip()
        if cut < len(line) and font.getlength(moved) > width:
            break
        kept = "".join(line[:cut]).rstrip()
        if moved[:1] not in NO_LINE_START and kept[-1:] not in NO_LINE_END:
            return cut
    return len(line)


def strip_tokens(line: list[str]) -> list[str]:
    while line and line[0].isspace():
        line = line[1:]
    return line


def wrap(text: str, font: Font, width: float) -> list[str]:
    """Greedy line breaking by measured width, keeping the Chinese rules: no
    closing punctuation at a line's start, no opening one at its end; Latin
    and Arabic-script words are not broken."""
    lines: list[str] = []
    line: list[str] = []
    for token in tokens(text, font, width):
        if token.isspace():
            token = " "
        candidate = "".join([*line, token]).rstrip()
        if not "".join(line).strip() or font.getlength(candidate) <= width:
            line = strip_tokens([*line, token])
            continue
        cut = break_at(line, token, font, width)
        lines.append("".join(line[:cut]).rstrip())
        line = strip_tokens([*line[cut:], token])
    last = "".join(line).rstrip()
    return [*lines, last] if last else lines


def balanced_wrap(text: str, font: Font, width: float) -> list[str]:
    """As many lines as `wrap` gives, made as even as they can be: the
    narrowest width that needs no more lines, so a title never leaves a
    single character on its last line. Never narrower than the widest word,
    so no word is split to even the lines out."""
    lines = wrap(text, font, width)
    if len(lines) < 2:
        return lines
    narrow = max(font.getlength(token) for token in tokens(text, font, width))
    if len(wrap(text, font, narrow)) <= len(lines):
        return wrap(text, font, narrow)
    wide = width
    while wide - narrow > 1:
        middle = (narrow + wide) / 2
        if len(wrap(text, font, middle)) <= len(lines):
            wide = middle
        else:
            narrow = middle
    return wrap(text, font, wide)


def ellipsise(text: str, font: Font, width: float) -> str:
    """The longest start of the text that fits with an ellipsis after it."""
    text = text.rstrip()
    while text and font.getlength(text + ELLIPSIS) > width:
        text = text[:-1].rstrip()
    return text + ELLIPSIS


@dataclass(frozen=True)
class TextBlock:
    font: Font
    lines: tuple[str, ...]
    line_height: int

    @property
    def height(self) -> int:
        """From the first line's ascender to the last line's descender."""
        if not self.lines:
            return 0
        ascent, descent = self.font.getmetrics()
        return (len(self.lines) - 1) * self.line_height + ascent + descent

    @property
    def rtl(self) -> bool:
        return is_rtl("".join(self.lines))

    def fits(self, box: tuple[int, int]) -> bool:
        width, height = box
        widest = max((self.font.getlength(line) for line in self.lines), default=0)
        return widest <= width and self.height <= height


def block(text: str, size: int, width: float) -> TextBlock:
    font = font_for(text, size)
    return TextBlock(font, tuple(wrap(text, font, width)), round(size * LINE_SPACING))


def truncated(full: TextBlock, box: tuple[int, int]) -> TextBlock:
    """As many lines as the box holds, the last one ellipsised when text was
    left out, and any line still too wide (a box narrower than a character)
    cut short too."""
    width, height = box
    ascent, descent = full.font.getmetrics()
    room = max(0, (height - ascent - descent) // full.line_height + 1)
    lines = list(full.lines[:room])
    if lines and len(lines) < len(full.lines):
        lines[-1] = ellipsise(lines[-1], full.font, width)
    lines = [
        ellipsise(line, full.font, width) if full.font.getlength(line) > width else line
        for line in lines
    ]
    return TextBlock(full.font, tuple(lines), full.line_height)


def fit_text(
    text: str, box: tuple[int, int], sizes: Iterable[int], *, balanced: bool = False
) -> TextBlock:
    """The text at the largest of `sizes` (largest first) whose wrapped lines
    fit the box; at the smallest size, cut to the box with an ellipsis.
    `balanced` (for titles) evens out the lines of a text that fits."""
    width, _height = box
    text = " ".join(text.split())
    candidate = None
    for size in sizes:
        candidate = block(text, size, width)
        if candidate.fits(box):
            if balanced:
                lines = balanced_wrap(text, candidate.font, width)
                return replace(candidate, lines=tuple(lines))
            return candidate
    if candidate is None:
        raise ValueError("fit_text needs at least one size")
    return truncated(candidate, box)


def fit_texts(
    texts: Iterable[str], box: tuple[int, int], sizes: Iterable[int]
) -> list[TextBlock]:
    """Each text in a box of its own, all at the largest of `sizes` at which
    every one fits (a list looks uneven otherwise); at the smallest size,
    each is cut to the box."""
    texts = [" ".join(text.split()) for text in texts]
    sizes = list(sizes)
    if not sizes:
        raise ValueError("fit_texts needs at least one size")
    for size in sizes:
        blocks = [block(text, size, box[0]) for text in texts]
        if all(candidate.fits(box) for candidate in blocks):
            return blocks
    return [truncated(candidate, box) for candidate in blocks]
