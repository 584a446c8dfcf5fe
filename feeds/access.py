"""The seam where feeds ask who may read them. Keys, scopes, rate limits and
the pull log are the partners' business, and partners build on feeds, so
feeds may not import them: feeds name the seam here and partners fill it from
PartnersConfig.ready(). A hook filled at start-up rather than a dotted path
in settings, so that the dependency reads in partners' own code; one gate,
not a list of policies, because a pull has one answer. Installing a different
second gate, or serving a feed with none, is a configuration error rather
than an open door. Finding the gate costs a module-level read per request."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from feeds.models import FeedDefinition


class AccessDenied(Exception):
    """A refusal to show the client (401, 403 or 429): the message never
    holds the key or any item."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class FeedGate:
    # The grant to read the feed (None for an anonymous pull), or AccessDenied.
    authorise: Callable[[HttpRequest, FeedDefinition], object | None]
    # Every pull, whatever its answer: request, feed (None when unknown),
    # grant, status, the bytes of the body sent and the page ids of the
    # items it carried.
    record: Callable[
        [HttpRequest, FeedDefinition | None, object | None, int, int, tuple], None
    ]


_gate: FeedGate | None = None
NO_GATE = "feeds: no access gate (the partners app fills it)"


def install_gate(gate: FeedGate) -> None:
    global _gate
    if _gate is not None and _gate != gate:
        raise ImproperlyConfigured("feeds: a second access gate was installed")
    _gate = gate


def installed_gate() -> FeedGate:
    if _gate is None:
        raise ImproperlyConfigured(NO_GATE)
    return _gate


def check_gate_installed(**kwargs) -> list[checks.CheckMessage]:
    """A system check, so that a missing gate stops `manage.py check`, the
    migrations and the servers at start-up rather than failing every feed."""
    return [] if _gate is not None else [checks.Error(NO_GATE, id="feeds.E001")]
