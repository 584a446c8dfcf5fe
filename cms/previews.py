"""Preview modes that the apps above cms add to the content pages: each
function registered under the Wagtail hook 'content_page_preview_modes'
returns PreviewModes, so cms imports nothing of theirs (channels adds one
mode per channel with a preview)."""

from collections.abc import Callable
from typing import NamedTuple

from django.http import Http404, HttpResponse
from wagtail import hooks

HOOK = "content_page_preview_modes"


class PreviewMode(NamedTuple):
    name: str
    label: str
    serve: Callable[..., HttpResponse]  # (request, page, mode name)


def extra_preview_modes() -> list[PreviewMode]:
    return [mode for modes in hooks.get_hooks(HOOK) for mode in modes()]


def serve_extra_preview(request, page, mode_name: str) -> HttpResponse:
    for mode in extra_preview_modes():
        if mode.name == mode_name:
            return mode.serve(request, page, mode_name)
    raise Http404
