"""Counting Chinese copy the way a newspaper or radio editor does."""

import html
import re
from dataclasses import dataclass

from django.utils.html import strip_tags

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A run of letters or digits of any other script is one word: mRNA, 2020, 3.5,
# COVID-19, and Uyghur words too.
LETTERS = f"[^\\W_{HAN}]+"
WORD = f"{LETTERS}(?:[.\\-'’]{LETTERS})*"
TOKEN = re.compile(f"(?P<han>[{HAN}])|(?P<word>{WORD})|(?P<punct>[^\\w\\s]|_)")


@dataclass(frozen=True)
class CharCount:
    characters: int  # Han characters and Latin/digit words, no punctuation
    layout: int  # 版面字数: characters plus every punctuation mark

    @property
    def punctuation(self) -> int:
        return self.layout - self.characters


def count_chars(text: str) -> CharCount:
    characters = punctuation = 0
    for match in TOKEN.finditer(text):
        if match.lastgroup == "punct":
            punctuation += 1
        else:
            characters += 1
    return CharCount(characters, characters + punctuation)


def read_seconds(text: str, chars_per_minute: int) -> int:
    """Seconds a presenter needs to read the text aloud at the given rate."""
    return round(count_chars(text).characters * 60 / chars_per_minute)


# Silent reading of popular-science prose in Chinese: about 400 字 a minute
# (adult readers measure 300–500), for the read time an editor is shown.
READING_CHARS_PER_MINUTE = 400


def reading_minutes(characters: int) -> int:
    """Whole minutes a reader needs, at least one for any text."""
    return max(1, round(characters / READING_CHARS_PER_MINUTE)) if characters else 0


class Subheading(str):
    """A paragraph of the body that was a heading (<h2>…<h6>): text like any
    other paragraph, which the desk's documents set as a subheading."""


CHUNK_END = re.compile(r"</p>|<br\s*/?>|</(h[1-6])>|</li>")


def paragraphs_of(stream) -> list[str]:
    """The body's paragraphs as plain text, one per block paragraph; a
    heading's is a Subheading."""
    result: list[str] = []
    for block in stream:
        if block.block_type != "paragraph":
            continue
        source, start = block.value.source, 0
        for end in [*CHUNK_END.finditer(source), None]:
            chunk = source[start : end.start() if end else len(source)]
            if text := html.unescape(strip_tags(chunk)).strip():
                result.append(Subheading(text) if end and end.group(1) else text)
            start = end.end() if end else len(source)
    return result
