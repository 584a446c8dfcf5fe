"""Channel previews in the page editor (ContentPage.preview_modes): the
newspaper proof with its 字数 and the radio script with its read time, each
with the problems check() finds, against the outlet the item is placed on, or
the first active outlet of the channel, or the channel's default spec."""

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from channels import newspaper_documents
from channels.models import Outlet, Placement
from channels.radio import mark, script_lines
from channels.text import count_chars

TEMPLATE = "channels/admin/preview.html"


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


def newspaper_context(page, outlet: Outlet) -> dict:
    spec = outlet.parsed_spec
    parts = outlet.adapter.parts(page, outlet)
    count = count_chars(parts.body_text)
    return {
        "figures": [
            (_("字数"), count.characters),
            (_("版面字数（含标点）"), count.layout),
            (_("版面要求"), f"{spec.target_chars} ± {spec.tolerance}"),
            (_("图片"), f"{parts.image_count} / {spec.max_images}"),
        ],
        "proof": newspaper_documents.proof_html(parts),
    }


def radio_context(page, outlet: Outlet) -> dict:
    spec = outlet.parsed_spec
    lines = script_lines(page, spec)
    seconds = sum(line.seconds for line in lines)
    return {
        "figures": [
            (_("预计时长"), mark(seconds).strip("[]")),
            (_("时段"), mark(spec.slot_seconds).strip("[]")),
            (_("语速"), _("每分钟 %d 字") % spec.chars_per_minute),
        ],
        "over": seconds > spec.slot_seconds,
        # The adapter escapes the script's text.
        "script": mark_safe(outlet.adapter.preview_html(page, outlet)),
    }


CONTEXTS = {"newspaper": newspaper_context, "radio": radio_context}


def serve_channel_preview(request, page, channel: str) -> TemplateResponse:
    if channel not in CONTEXTS:
        raise Http404
    outlet = preview_outlet(page, channel)
    context = {
        "page": page,
        "outlet": outlet if outlet.pk else None,
        "channel_label": outlet.adapter.label,
        "problems": [p.message for p in outlet.adapter.check(page, outlet)],
        **CONTEXTS[channel](page, outlet),
    }
    return TemplateResponse(request, TEMPLATE, context)
