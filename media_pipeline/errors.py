"""The pipeline's errors: one Chinese line for the editor, ffmpeg's last
stderr lines for whoever debugs it."""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """Something that stops an export: a stable code and a Chinese message."""

    code: str
    message: str


class MediaError(Exception):
    """A media file could not be read or produced.

    `message` is one Chinese line naming the problem and the file; `details`
    holds ffmpeg's last stderr lines (empty when ffmpeg was not involved).
    """

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.message = " ".join(message.split())
        self.details = details

    def __str__(self) -> str:
        return self.message


class ExportRefused(MediaError):
    """The source breaks the preset's rules, so no export was produced."""

    def __init__(self, name: str, problems: Sequence[Problem]) -> None:
        reasons = "；".join(problem.message for problem in problems)
        super().__init__(f"拒绝导出 {name}：{reasons}")
        self.problems = list(problems)
