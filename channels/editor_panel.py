"""The page editor's 渠道 side panel: for every outlet the item is planned on,
the figures the outlet judges it by (字数 against the column's target, the
read time against the slot, a platform's title and caption limits) and the
problems its check finds, counted from the form as the editor types.

The panel's script posts the edit form here as Wagtail's preview does
(LiveFiguresView is Wagtail's preview view with another answer), so the
figures come from the adapters' own preview_figures() and check(): the one
count, the same the placement will be checked by at its time."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.side_panels import BaseSidePanel
from wagtail.admin.views.pages.preview import PreviewOnEditView
from wagtail.models import Page

from channels.base import Problem
from channels.checks import CHECKED_STATUSES
from channels.models import Outlet, Placement
from cms.pages import ContentPage

FIGURES_TEMPLATE = "channels/admin/side_panel_figures.html"


@dataclass
class OutletFigures:
    outlet: Outlet
    next_at: datetime  # the earliest open placement on this outlet
    figures: list[tuple[str, Any, bool]]
    problems: list[Problem]

    @property
    def failing(self) -> bool:
        return any(not problem.warning for problem in self.problems)


def planned_outlets(page: Page) -> dict[Outlet, datetime]:
    placements = (
        Placement.objects.filter(
            page_id=page.pk, status__in=CHECKED_STATUSES, advisory__isnull=True
        )
        .select_related("outlet")
        .order_by("scheduled_at")
    )
    planned: dict[Outlet, datetime] = {}
    for placement in placements:
        planned.setdefault(placement.outlet, placement.scheduled_at)
    return planned


def outlet_figures(item: Page, planned: dict[Outlet, datetime]) -> list[OutletFigures]:
    return [
        OutletFigures(
            outlet=outlet,
            next_at=next_at,
            figures=outlet.adapter.preview_figures(item, outlet),
            problems=outlet.adapter.check(item, outlet),
        )
        for outlet, next_at in planned.items()
    ]


def figures_context(item: Page, planned, *, from_form: bool = True) -> dict:
    rows = outlet_figures(item, planned)
    return {
        "rows": rows,
        "failing": sum(row.failing for row in rows),
        "from_form": from_form,
        "calendar_url": reverse("channel_calendar:index"),
    }


class ChannelsSidePanel(BaseSidePanel):
    class SidePanelToggle(BaseSidePanel.SidePanelToggle):
        aria_label = _("显示或隐藏渠道检查")
        icon_name = "calendar-check"
        counter_classname = "w-bg-critical-200"

        def get_context_data(self, parent_context):
            context = super().get_context_data(parent_context)
            context["count"] = self.panel.figures["failing"]
            return context

    name = "channels"
    title = _("渠道")
    template_name = "channels/admin/side_panel.html"
    order = 360  # after Wagtail's 检查, before its preview

    class Media:
        css = {"all": ["channels/editor_panel.css"]}
        js = ["channels/editor_panel.js"]

    def __init__(self, page, request):
        super().__init__(page, request)
        self.figures = figures_context(page, planned_outlets(page))

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context["figures_url"] = reverse("channel_figures", args=[self.object.pk])
        context["figures_html"] = render_to_string(
            FIGURES_TEMPLATE, self.figures, request=self.request
        )
        return context


def channels_side_panels(page, request) -> list[ChannelsSidePanel]:
    if not isinstance(page, ContentPage):
        return []
    return [ChannelsSidePanel(page, request)]


class LiveFiguresView(PreviewOnEditView):
    """The figures of the form as posted; while it does not validate, of the
    latest saved revision, saying so."""

    http_method_names = ("post",)

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        from_form = self.validate_form(form)
        # A form that failed validation has already changed self.object.
        item = form.save(commit=False) if from_form else self.get_object()
        context = figures_context(item, planned_outlets(item), from_form=from_form)
        return TemplateResponse(request, FIGURES_TEMPLATE, context)
