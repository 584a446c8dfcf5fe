"""Preview modes that the apps above cms add to the content pages: each
function registered under the Wagtail hook 'content_page_preview_modes'
returns (mode, label) pairs and serves those modes, so cms imports nothing
of theirs (channels registers one mode per channel with a preview)."""

from collections.abc import Callable
from typing import NamedTuple

from django.http import Http404, HttpResponse
from wagtail import hooks

HOOK = "content_page_preview_modes"


class PreviewModes(NamedTuple):
    """What a hook returns: its modes and the view that serves them."""

    modes: Callable[[], list[tuple[str, str]]]
    serve: Callable[..., HttpResponse]  # (request, page, mode)


def registered() -> list[PreviewModes]:
    return [provider() for provider in hooks.get_hooks(HOOK)]


def extra_preview_modes() -> list[tuple[str, str]]:
    return [mode for provider in registered() for mode in provider.modes()]


def serve_extra_preview(request, page, mode_name: str):
    for provider in registered():
        if mode_name in dict(provider.modes()):
            return provider.serve(request, page, mode_name)
    raise Http404
