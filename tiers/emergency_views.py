"""应急科普 in the admin: send one item to every channel and every
organisation below at once (tiers.emergency.launch), see when it arrived
where and who acknowledged, and end it everywhere."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets import AdminPageChooser
from wagtail.models import Page

from cms.alerts import cancel_alert
from cms.organisations import Organisation
from tiers.admin_views import (
    CONTENT_TYPES,
    AdminPage,
    PackagePage,
    package_policy,
)
from tiers.emergency import (
    DEFAULT_ACKNOWLEDGE_MINUTES,
    EmergencyOrder,
    arrivals,
    launch,
)
from tiers.models import ResourcePackage

HOURS = [
    (2, gettext_lazy("2 小时")),
    (6, gettext_lazy("6 小时")),
    (12, gettext_lazy("12 小时")),
    (24, gettext_lazy("1 天")),
    (72, gettext_lazy("3 天")),
]
ROWS_PER_PAGE = 100  # organisations: a province's thousand on one page is slow
ROW_STATES = [
    ("overdue", gettext_lazy("逾期未签收")),
    ("waiting", gettext_lazy("待签收")),
    ("acknowledged", gettext_lazy("已签收")),
]
URGENT_WINDOWS = [
    choice
    for choice in ResourcePackage.Window.choices
    if choice[0] <= ResourcePackage.Window.TWO_HOURS
]


class EmergencyForm(forms.Form):
    sender = forms.ModelChoiceField(
        label=gettext_lazy("发布单位"),
        queryset=Organisation.objects.none(),
        empty_label=None,
        help_text=gettext_lazy("发往该单位及其下级的全部渠道和全部单位"),
    )
    page = forms.ModelChoiceField(
        label=gettext_lazy("应急科普内容"),
        queryset=Page.objects.all(),
        widget=AdminPageChooser(target_models=CONTENT_TYPES),
        help_text=gettext_lazy("须已发布并通过科学性审核"),
    )
    title = forms.CharField(
        label=gettext_lazy("横幅标题"),
        max_length=80,
        help_text=gettext_lazy("网站横幅和大屏上的标题"),
    )
    message = forms.CharField(
        label=gettext_lazy("提示内容"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("例如：暴雨红色预警，请远离河道、不要涉水"),
    )
    hours = forms.TypedChoiceField(
        label=gettext_lazy("持续时间"), choices=HOURS, coerce=int, initial=2
    )
    acknowledge_within = forms.TypedChoiceField(
        label=gettext_lazy("签收时限"),
        choices=URGENT_WINDOWS,
        coerce=int,
        initial=DEFAULT_ACKNOWLEDGE_MINUTES,
        help_text=gettext_lazy("逾期未签收的单位，立即上报其上级"),
    )

    def __init__(self, senders, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sender"].queryset = senders


class EmergencyCreateView(AdminPage, FormView):
    permission_policy = package_policy
    permission_required = "add"
    page_title = gettext_lazy("发布应急科普")
    template_name = "tiers/emergency_form.html"
    form_class = EmergencyForm

    def senders(self):
        return self.scope.filter(Organisation.objects.all(), "").order_by("path")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "senders": self.senders()}

    def form_valid(self, form):
        data = form.cleaned_data
        order = EmergencyOrder(
            sender=data["sender"],
            page=data["page"],
            title=data["title"],
            message=data["message"],
            hours=data["hours"],
            acknowledge_within=data["acknowledge_within"],
            user=self.request.user,
        )
        try:
            package, result = launch(order)  # it refuses an item that may not go out
        except ValidationError as error:
            form.add_error("page", error.messages)
            return self.form_invalid(form)
        messages.success(self.request, _("应急科普已发往各渠道"))
        for level, text in result.messages():
            getattr(messages, level)(self.request, text)
        return redirect("emergencies:arrivals", package.pk)


class ArrivalsView(PackagePage, TemplateView):
    """When the item reached each channel and organisation: for the
    sender's branch (a recipient sees its own task)."""

    any_permission_required = ["view", "change"]
    page_title = gettext_lazy("应急科普到达情况")
    template_name = "tiers/emergency_arrivals.html"

    def packages(self):
        emergencies = super().packages().filter(alert__isnull=False)
        return self.scope.filter(emergencies.select_related("alert__page"))

    def get_context_data(self, **kwargs):
        now = timezone.now()
        report = arrivals(self.package, now)
        shown = self.request.GET.get("state", "")
        rows = [row for row in report.organisations if shown in ("", row.state(now))]
        paginator = Paginator(rows, ROWS_PER_PAGE)
        page = paginator.get_page(self.request.GET.get("p"))
        return super().get_context_data(
            report=report,
            rows=page,
            elided_page_range=paginator.get_elided_page_range(page.number),
            states=ROW_STATES,
            shown=shown,
            active=self.package.alert.is_active(now),
            may_cancel=self.user_has_permission("change"),
            now=now,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") != "cancel":
            raise Http404
        if not self.user_has_permission("change"):
            raise PermissionDenied
        if cancel_alert(self.package.alert):
            messages.success(request, _("应急科普已撤销：各渠道将在一分钟内恢复"))
        else:
            messages.info(request, _("这次应急科普此前已结束"))
        return redirect(request.path)


class EmergencyMenuItem(MenuItem):
    def is_shown(self, request):
        return package_policy.user_has_permission(request.user, "add")


class EmergencyViewSet(ViewSet):
    name = "emergencies"
    url_prefix = "tiers/emergencies"
    icon = "warning"
    menu_label = gettext_lazy("发布应急科普")
    menu_order = 5
    menu_item_class = EmergencyMenuItem

    def get_urlpatterns(self):
        return [
            path("", EmergencyCreateView.as_view(), name="add"),
            path("<int:pk>/", ArrivalsView.as_view(), name="arrivals"),
        ]
