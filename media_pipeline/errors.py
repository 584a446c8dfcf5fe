"""The pipeline's errors: one Chinese line for the editor, ffmpeg's last
stderr lines for whoever debugs it."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


def gettext_noop(message: str) -> str:
    """Marks a message template for makemessages; the core imports no Django,
    so the Django layer translates the template where it shows it."""
    return message


@dataclass(frozen=True)
class Problem:
    """Something that stops an export: a stable code and a Chinese message
    template with named placeholders, filled from params."""

    code: str
    template: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str]) -> str:
        return translate(self.template) % self.params

    @property
    def message(self) -> str:
        """In Chinese, the templates' own language (the command line's)."""
        return self.render(gettext_noop)


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

    def render(self, translate: Callable[[str], str]) -> str:
        """The message in the reader's language; most are Chinese only,
        those built from gettext_noop templates translate."""
        return self.message


class ExportRefused(MediaError):
    """The source breaks the preset's rules, so no export was produced."""

    template = gettext_noop("拒绝导出 %(name)s：%(reasons)s")

    def __init__(self, name: str, problems: Sequence[Problem]) -> None:
        self.name = name
        self.problems = list(problems)
        super().__init__(self.render(gettext_noop))

    def render(self, translate: Callable[[str], str]) -> str:
        reasons = "；".join(problem.render(translate) for problem in self.problems)
        return translate(self.template) % {"name": self.name, "reasons": reasons}
