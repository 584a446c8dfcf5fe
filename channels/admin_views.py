"""Admin views for outlets and placements: listings, forms that validate with
the models' Chinese messages, a placement's history and files."""

from datetime import date, datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.models import Page
from wagtail.permission_policies import ModelPermissionPolicy

from channels.base import Problem, blocking
from channels.calendar import (
    DAY,
    MONTH,
    VIEWS,
    WEEK,
    OffCadence,
    build_calendar,
    parse_day,
    period_of,
    reschedule,
)
from channels.forms import CalendarFilterForm
from channels.models import Outlet, OutputFile, Placement
from channels.queue import OPEN
from channels.registry import channel_choices, channel_colour
from cms.json_input import BadInput, day, fields, read_json, text
from cms.organisations import Scope
from cms.weekdays import WEEKDAYS

STATUS_COLOURS = {
    Placement.Status.PLANNED: "#5b6472",
    Placement.Status.CHECKED: "#1f7a8c",
    Placement.Status.RENDERED: "#6941c6",
    Placement.Status.DELIVERED: "#18794e",
    Placement.Status.FAILED: "#b42318",
    Placement.Status.CANCELLED: "#98a2b3",
}
ANY_PERMISSION = ["add", "change", "delete", "view"]
DEFAULT_TIME = time(9, 0)
MOVE_BODY_LIMIT = 1024
MOVABLE_DAYS = (date(2000, 1, 1), date(2100, 12, 31))
MOVE_REASON_LENGTH = 200
placement_policy = ModelPermissionPolicy(Placement)


class PlacementMenuItem(MenuItem):
    """Shown to anyone with a permission on placements (calendar, report)."""

    def is_shown(self, request):
        return placement_policy.user_has_any_permission(request.user, ANY_PERMISSION)


def problems_of(placement: Placement) -> list[Problem]:
    """What the channel's check() says about the item on the outlet."""
    return placement.outlet.adapter.check(placement.page.specific, placement.outlet)


class PlacementIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("page", "outlet")


def by_id(model, value):
    """The instance with the id given in a query string, if any."""
    if not str(value).isdigit():
        return None
    return model.objects.filter(pk=value).first()


def safe_next(request) -> str:
    url = request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        url, {request.get_host()}, require_https=request.is_secure()
    )
    return url if allowed else ""


class PlacementCreateView(generic.CreateView):
    """Also reached from a page's 发布到渠道 (?page=) and the calendar
    (?date=, ?outlet=); warns of the channel's problems after saving."""

    def get_initial(self):
        initial = super().get_initial()
        query = self.request.GET
        if (page := self.preselected_page) is not None:
            initial["page"] = page.pk
        if (outlet := by_id(Outlet, query.get("outlet"))) is not None:
            initial["outlet"] = outlet.pk
        if day := parse_day(query.get("date", "")):
            at = outlet.cadence_time if outlet and outlet.cadence_time else None
            moment = datetime.combine(day, at or DEFAULT_TIME)
            initial["scheduled_at"] = timezone.make_aware(moment)
        return initial

    @cached_property
    def preselected_page(self):
        request = self.request
        return by_id(Page, request.POST.get("page") or request.GET.get("page"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = self.preselected_page
        context["chosen_page"] = page
        if page is not None:
            context["page_placements"] = page.placements.select_related("outlet")
        context["action_url"] = self.request.get_full_path()
        return context

    def save_instance(self):
        self.form.instance.created_by = self.request.user
        placement = super().save_instance()
        placement.record(
            Placement.Status.PLANNED, self.request.user, note=_("创建排期")
        )
        return placement

    def save_action(self):
        response = super().save_action()
        for problem in problems_of(self.object):
            if problem.warning:
                messages.warning(self.request, str(problem))
            else:
                messages.warning(self.request, _("交付前需解决：%s") % problem)
        return response

    def get_success_url(self):
        return safe_next(self.request) or self.get_edit_url()


class PlacementEditView(generic.EditView):
    def save_instance(self):
        placement = super().save_instance()
        if changed := self.form.changed_data:
            labels = "、".join(str(self.form.fields[name].label) for name in changed)
            note = _("修改：%s") % labels
            placement.record(placement.status, self.request.user, note=note)
        return placement

    def get_success_url(self):
        return reverse("channel_placements:inspect", args=(self.object.pk,))


class LocalTimeInspectView(generic.InspectView):
    """An inspect view that shows times in local time (not UTC) and a dash
    for an empty field."""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if value is None or value == "":
            return "—"
        if isinstance(value, datetime):
            return date_format(timezone.localtime(value), "DATETIME_FORMAT")
        return value


class PlacementInspectView(LocalTimeInspectView):
    def get_page_display_value(self):
        title = self.object.page.get_admin_display_title()
        if heading := self.object.notice_heading:
            return f"{heading}：{title}"
        return title

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        placement = self.object
        context["notice"] = placement.advisory if placement.advisory_id else None
        context["events"] = placement.events.select_related("user")
        context["outputs"] = placement.outputs.all()
        problems = problems_of(placement)
        context["problems"] = blocking(problems)
        context["cautions"] = [problem for problem in problems if problem.warning]
        if placement.status in OPEN:
            context["progress"] = placement.outlet.adapter.render_progress(placement)
        context["status_colour"] = STATUS_COLOURS[placement.status]
        context["page_edit_url"] = reverse(
            "wagtailadmin_pages:edit", args=(placement.page_id,)
        )
        return context


def download_output(request, pk: int):
    """An output file for a logged-in editor, before or after its time: the
    storage has no public URL."""
    if not placement_policy.user_has_any_permission(request.user, ANY_PERMISSION):
        raise PermissionDenied
    output = get_object_or_404(OutputFile, pk=pk)
    return FileResponse(
        output.file.open("rb"),
        as_attachment=True,
        filename=output.name,
        content_type=output.mime_type,
    )


class CalendarView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Month and week views of placements across outlets."""

    permission_policy = placement_policy
    any_permission_required = ANY_PERMISSION
    template_name = "channels/admin/calendar.html"
    page_title = _("编辑日历")
    header_icon = "calendar-alt"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def link(self, **changes) -> str:
        params = self.request.GET.copy()
        for key, value in changes.items():
            params[key] = value
        return f"?{params.urlencode()}"

    def day_link(self) -> str:
        """This view's filters in the day view, less the date (the template
        adds each day's)."""
        params = self.request.GET.copy()
        params.pop("date", None)
        params["view"] = DAY
        return f"?{params.urlencode()}&date="

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query, user = self.request.GET, self.request.user
        view = query.get("view") if query.get("view") in VIEWS else MONTH
        period = period_of(
            view, parse_day(query.get("date", "")) or timezone.localdate()
        )
        scope = Scope.of(user)
        form = CalendarFilterForm(query, scope=scope)
        filters = form.filters()
        can_move = placement_policy.user_has_permission(user, "change")
        add_query = {"next": self.request.get_full_path()}
        if outlet := filters.get("outlet"):
            add_query["outlet"] = outlet.pk
        context.update(
            calendar=build_calendar(period, {**filters, "scope": scope}, can_move),
            filter_form=form,
            filtered=bool(filters),
            legend=[(label, channel_colour(key)) for key, label in channel_choices()],
            weekdays=[
                label
                for number, label in WEEKDAYS
                if view != DAY or number == period.anchor.isoweekday()
            ],
            previous_url=self.link(date=period.previous.isoformat()),
            next_url=self.link(date=period.next.isoformat()),
            today_url=self.link(date=timezone.localdate().isoformat()),
            month_url=self.link(view=MONTH),
            week_url=self.link(view=WEEK),
            day_url=self.link(view=DAY),
            day_link=self.day_link(),
            can_move=can_move,
            add_url=(
                f"{reverse('channel_placements:add')}?{urlencode(add_query)}"
                if placement_policy.user_has_permission(user, "add")
                else ""
            ),
        )
        return context


@require_POST
def move_placement(request, pk: int):
    """The calendar's drop: {"date": "YYYY-MM-DD"} keeps the time of day; a
    day outside the outlet's 刊播日 answers 409 with the question to ask,
    and is taken with {"date", "reason"}."""
    if not placement_policy.user_has_permission(request.user, "change"):
        return JsonResponse({"error": _("没有修改排期的权限")}, status=403)
    placements = Scope.of(request.user).filter(
        Placement.objects.select_related("page", "outlet"), "outlet__owner"
    )
    placement = get_object_or_404(placements, pk=pk)
    try:
        body = read_json(request, MOVE_BODY_LIMIT)
        data = fields(body, {"date", "reason"}, {"date"}, _("请求体"))
        moved_to = day(data["date"], "date", *MOVABLE_DAYS)
        reason = text(data.get("reason", ""), "reason", MOVE_REASON_LENGTH)
    except BadInput as problem:
        return JsonResponse({"error": str(problem)}, status=400)
    try:
        reschedule(placement, moved_to, request.user, reason)
    except OffCadence as question:
        return JsonResponse({"confirm": str(question)}, status=409)
    except ValidationError as error:
        return JsonResponse({"error": "；".join(error.messages)}, status=400)
    moved = timezone.localtime(placement.scheduled_at)
    return JsonResponse(
        {
            "date": moved.date().isoformat(),
            "time": f"{moved:%H:%M}",
            "message": _("已改期到 %s") % f"{moved:%Y-%m-%d %H:%M}",
        }
    )
