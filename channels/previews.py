"""Channel previews in the page editor: every registered channel with a
preview_label is a preview mode of the content pages (the hook
'content_page_preview_modes', read by cms). The preview shows the item as the
channel will put it out, the figures an editor checks and the problems
check() finds, against the outlet the item is placed on, or the first active
outlet of the channel, or the channel's default spec."""

from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from channels.models import Outlet, Placement
from channels.registry import adapters_with_preview

TEMPLATE = "channels/admin/preview.html"


def preview_modes() -> list[tuple[str, str]]:
    return [(adapter.key, adapter.preview_label) for adapter in adapters_with_preview()]


def preview_outlet(page, channel: str) -> Outlet:
    placed = Placement.objects.filter(outlet=OuterRef("pk"), page_id=page.pk or 0)
    outlet = (
        Outlet.objects.filter(channel=channel, active=True)
        .annotate(placed=Exists(placed))
        .order_by("-placed", "name")
        .first()
    )
    if outlet is not None:
        return outlet
    # Unsaved: an outlet with an empty spec has the channel's defaults.
    return Outlet(
        channel=channel, name=_("示例栏目"), organisation=_("默认参数"), spec={}
    )


def serve_channel_preview(request, page, channel: str) -> TemplateResponse:
    outlet = preview_outlet(page, channel)
    adapter = outlet.adapter
    context = {
        "page": page,
        "outlet": outlet if outlet.pk else None,
        "channel_label": adapter.label,
        "figures": adapter.preview_figures(page, outlet),
        "problems": [str(p) for p in adapter.check(page, outlet)],
        "output": adapter.preview_html(page, outlet),
    }
    return TemplateResponse(request, TEMPLATE, context)
