"""The channel adapter interface: what every channel module implements."""

import inspect
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, get_type_hints

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files import File
from django.template import engines
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page


@dataclass(frozen=True)
class Problem:
    """Something an editor must fix before the item can go out on the outlet,
    or, as a warning, should know although the item may go out as it is."""

    code: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        if self.warning:
            return gettext("提醒：%(message)s") % {"message": self.message}
        return str(self.message)


def blocking(problems: list[Problem]) -> list[Problem]:
    """Those that stop the item going out (warnings do not)."""
    return [problem for problem in problems if not problem.warning]


@dataclass(frozen=True)
class Recipient:
    """Someone a correction or withdrawal must reach, as an adapter sees it:
    who (a name, and a reference unique within the channel), what is sent
    (for the record), and the function that sends it — a dotted path to a
    function taking the recorded row (channels.models.AdvisoryRecipient) and
    returning (state, detail). channels/advisories.py records and sends."""

    name: str
    reference: str
    sent: str
    sender: str
    outlet: Any = None
    placement: Any = None
    organisation: Any = None  # whose it is; the outlet's owner when not given


TELL_OUTLET = "channels.advisories.tell_outlet"


@dataclass(frozen=True)
class RenderProgress:
    """How far a long render (an export, say) has come, and where it can be
    followed as it goes."""

    label: str
    percent: int
    url: str


@dataclass(frozen=True)
class PackageFile:
    name: str
    content: bytes | File  # a File (a stored video, say) is copied, never read whole
    mime_type: str

    @property
    def size(self) -> int:
        if isinstance(self.content, File):
            return self.content.size
        return len(self.content)


@dataclass
class Package:
    """A channel's rendered output for one item on one outlet."""

    files: list[PackageFile] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, content: bytes | str | File, mime_type: str) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        self.files.append(PackageFile(name, data, mime_type))


@dataclass(frozen=True)
class AudienceEstimate:
    """How many people one delivery on an outlet reaches, as its settings
    estimate it: `people` is None when an input is missing (shown as
    missing, never as zero); `inputs` are the figures it was made from,
    `source` says where they come from."""

    people: int | None
    inputs: dict[str, Any]
    source: str
    sourced: bool  # the inputs' source is named: a firmer estimate


def setting(
    default: Any, label: str, *, unit: str = "", help_text: str = "", choices=None
):
    """A spec field with what the outlet form shows for it (channels.spec_form):
    its label, unit and help, and for a closed set of values the choices, as
    (value, label) pairs or a callable returning them."""
    metadata = {"label": label, "unit": unit, "help_text": help_text}
    return field(default=default, metadata={**metadata, "choices": choices})


@dataclass(frozen=True)
class Spec:
    """A channel's outlet settings; subclasses add fields (each a setting())
    and validate(), which names each impossible value under its field."""

    def validate(self) -> dict[str, str]:
        """Field name → message (through gettext) for each impossible value."""
        return {}


TYPE_NAMES = {int: _("整数"), float: _("数字"), str: _("文字"), bool: _("是/否")}


def build_spec(spec_class: type[Spec], data: dict[str, Any]) -> Spec:
    """The spec from an outlet's stored data (defaults for missing keys), or a
    ValidationError naming each impossible value under its setting."""
    hints = get_type_hints(spec_class)
    values = {k: v for k, v in data.items() if k in hints and v not in (None, "")}
    if problems := type_problems(spec_class, hints, values):
        raise ValidationError(problems)
    try:
        spec = spec_class(**values)
    except TypeError as error:
        message = gettext("渠道参数不完整：%(error)s") % {"error": error}
        raise ValidationError(message) from error
    if problems := spec.validate():
        raise ValidationError(problems)
    return spec


def type_problems(spec_class, hints: dict, values: dict) -> dict[str, str]:
    """Setting name → why its value is not of the setting's type."""
    labels = {f.name: f.metadata.get("label", f.name) for f in fields(spec_class)}
    problems = {}
    for name, value in values.items():
        expected = hints[name]
        expected = expected if expected in TYPE_NAMES else None
        wrong_bool = isinstance(value, bool) and expected is not bool
        fits = expected is None or (isinstance(value, expected) and not wrong_bool)
        if expected is float and isinstance(value, int) and not wrong_bool:
            fits = True
        if not fits:
            message = gettext("%(label)s应为%(type)s")
            values_ = {"label": labels[name], "type": TYPE_NAMES[expected]}
            problems[name] = message % values_
    return problems


def file_stem(item: Page) -> str:
    """The item's name for package files: its slug when ASCII (some desks'
    SFTP and mail systems mangle Chinese file names), else item-<id>."""
    return item.slug if item.slug.isascii() else f"item-{item.pk}"


def template_beside(adapter: type, name: str) -> Path:
    """A template kept in a channel's own folder, next to its adapter."""
    return Path(inspect.getfile(adapter)).with_name(name)


class ChannelAdapter:
    """One channel: checks an item against an outlet's spec and renders its
    package; on a correction or withdrawal, names who must hear of it and
    what they get (correct, withdraw). Subclasses register with @register
    (channels.registry).

    A channel with a preview in the page editor sets preview_label, keeps its
    preview template (preview.html) beside its module and fills it with
    preview_context(); the editor's preview page shows preview_figures() and
    the problems check() finds above it. A channel with admin pages of its
    own (a queue for its desk) returns their ViewSets from admin_viewsets():
    they join the 渠道 menu."""

    key: ClassVar[str]
    label: ClassVar[str]
    spec_class: ClassVar[type[Spec]] = Spec
    calendar_colour: ClassVar[str] = "#5b6472"
    preview_label: ClassVar[str | None] = None
    preview_template: ClassVar[str] = "preview.html"
    # Delivery methods (Outlet.Delivery values) the channel's packages cannot
    # take, each with the reason an editor is shown.
    refused_deliveries: ClassVar[dict[str, str]] = {}

    def check(self, item: Page, outlet) -> list[Problem]:
        return []

    def render(self, item: Page, outlet) -> Package:
        raise ImproperlyConfigured(f"{type(self).__name__} must define render()")

    def audience_estimate(self, spec: Spec) -> AudienceEstimate | None:
        """The people one delivery on an outlet with this spec reaches, for
        the reach ledger; None for a channel that counts or imports its
        reach instead of estimating it."""
        return None

    def preview_figures(self, item: Page, outlet) -> list[tuple[str, Any, bool]]:
        """(label, value, over the limit?) for the figures an editor checks."""
        return []

    def correct(self, advisory, outlets) -> list[Recipient]:
        """Who must hear of a correction (cms.Advisory), given the outlets of
        this channel that received the item: by default each of them, told
        through its own delivery method."""
        return [self.tell(advisory, outlet) for outlet in outlets]

    def withdraw(self, advisory, outlets) -> list[Recipient]:
        """Who must hear of a withdrawal; by default as for a correction."""
        return [self.tell(advisory, outlet) for outlet in outlets]

    def render_notice(self, advisory, outlet) -> Package:
        """The package of a notice placement (a 更正启事 planned by
        correct()): by default the notice as text and JSON."""
        package = Package(summary={"advisory": advisory.pk})
        package.add(
            f"advisory-{advisory.pk}.txt",
            advisory.summary(),
            "text/plain; charset=utf-8",
        )
        return package

    def tell(self, advisory, outlet) -> Recipient:
        return Recipient(
            name=str(outlet),
            reference=f"outlet:{outlet.pk}",
            sent=advisory.summary(),
            sender=TELL_OUTLET,
            outlet=outlet,
        )

    def admin_viewsets(self) -> list:
        return []

    def render_progress(self, placement) -> RenderProgress | None:
        """While the placement's package is being made, how far it is."""
        return None

    def preview_context(self, item: Page, outlet) -> dict[str, Any]:
        name = type(self).__name__
        raise ImproperlyConfigured(f"{name} must define preview_context()")

    def preview_html(self, item: Page, outlet) -> SafeString:
        # Read at each preview (a rare request), so an edit shows at once.
        path = template_beside(type(self), self.preview_template)
        template = engines["django"].from_string(path.read_text(encoding="utf-8"))
        return template.render({"item": item, **self.preview_context(item, outlet)})
