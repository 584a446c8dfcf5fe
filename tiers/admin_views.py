"""资源包 in the admin: the packages an organisation sends (ModelViewSet,
scoped to the sender's branch), their push, the receipts report with its
export, and each recipient's task page, where its staff acknowledge (签收),
take the items up (采用) and record proof of use (落地)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    PageChooserPanel,
)
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from cms.organisations import Organisation, Scope, own_organisations
from cms.pages import visible_pages
from cms.reporting.export import ExportView
from cms.scoped_admin import ScopedViewSetMixin, scope_of
from screens.models import PlaylistItem, ScreenGroup
from tiers.forms import EvidenceForm, PlaylistForm, PushForm
from tiers.models import PackageTask, ResourcePackage
from tiers.push import push, recipients
from tiers.receipts import attach_receipts, receipts, records_of
from tiers.report import receipts_chart, receipts_sheets
from tiers.take_up import copy_into, sections_of

package_policy = ModelPermissionPolicy(ResourcePackage)
task_policy = ModelPermissionPolicy(PackageTask)
CONTENT_TYPES = ["cms.ArticlePage", "cms.VideoPage", "cms.ColumnEpisodePage"]
SHOWN_TASKS = 200


class AdminPage(WagtailAdminTemplateMixin, PermissionCheckedMixin):
    header_icon = "resubmit"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    @property
    def scope(self) -> Scope:
        return scope_of(self.request)


# Packages ----------------------------------------------------------------------


class PackageIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        links = [
            (_("推送"), "packages:push", "resubmit"),
            (_("签收与落地"), "packages:receipts", "table"),
        ]
        if instance.is_emergency:
            links.append((_("应急到达情况"), "emergencies:arrivals", "warning"))
        return [
            *super().get_list_more_buttons(instance),
            *(
                ListingMenuItem(
                    label,
                    reverse(name, args=[instance.pk]),
                    icon_name=icon,
                    priority=11 + n,
                )
                for n, (label, name, icon) in enumerate(links)
            ),
        ]


class PackagePage(AdminPage):
    """A page about one package of the user's own branch."""

    permission_policy = package_policy

    def dispatch(self, request, *args, pk: int, **kwargs):
        self.package = get_object_or_404(self.packages(), pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def packages(self):
        return ResourcePackage.objects.select_related("owner")

    def get_page_subtitle(self):
        return self.package.title


class PushView(PackagePage, FormView):
    permission_required = "change"
    page_title = gettext_lazy("推送资源包")
    template_name = "tiers/push.html"
    form_class = PushForm

    def packages(self):
        """Only the sender's branch pushes its packages."""
        return self.scope.filter(super().packages())

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "sender": self.package.owner}

    def unfit_items(self) -> list[str]:
        items = self.package.items.select_related("page")
        visible = set(
            visible_pages()
            .filter(pk__in=items.values("page"))
            .values_list("pk", flat=True)
        )
        return [item.page.title for item in items if item.page_id not in visible]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            package=self.package,
            items=self.package.items.select_related("page"),
            unfit=self.unfit_items(),
            pushed=self.package.tasks.count(),
            **kwargs,
        )

    def form_valid(self, form):
        if not self.package.items.exists():
            form.add_error(None, _("资源包里还没有内容，不能推送"))
            return self.form_invalid(form)
        if unfit := self.unfit_items():
            form.add_error(
                None,
                _("「%(titles)s」已下线或未通过科学性审核，请先移出资源包再推送")
                % {"titles": "」「".join(unfit)},
            )
            return self.form_invalid(form)
        chosen = recipients(
            self.package.owner,
            form.cleaned_data["tiers"],
            form.cleaned_data["under"],
            form.cleaned_data["organisations"] or None,
        )
        result = push(self.package, chosen, self.request.user)
        for level, text in result.messages():
            getattr(messages, level)(self.request, text)
        return redirect("packages:receipts", self.package.pk)


class ReportRoot:
    """The organisation a receipts report is opened at (?under=): one in the
    user's scope within the package's tree, where the package has tasks
    unless the user's scope covers the sender."""

    def report_root(self) -> Organisation:
        package, scope = self.package, self.scope
        area = Organisation.objects.filter(path__startswith=package.owner.path)
        mine = scope.filter(area, "")
        under_id = self.request.GET.get("under", "")
        if under_id.isdigit():
            under = mine.filter(pk=under_id).first()
        elif scope.covers(package.owner):
            under = package.owner
        else:
            under = mine.order_by("tier", "pk").first()
        if under is None:
            raise Http404
        if not scope.covers(package.owner):
            branch = package.tasks.filter(organisation__path__startswith=under.path)
            if not branch.exists():
                raise Http404
        return under


class ReceiptsView(ReportRoot, PackagePage, TemplateView):
    any_permission_required = ["view", "change"]
    page_title = gettext_lazy("签收与落地")
    template_name = "tiers/receipts.html"

    def get_context_data(self, **kwargs):
        under = self.report_root()
        report = receipts(self.package, under)
        query = f"?under={under.pk}"
        export = reverse("packages:export", args=[self.package.pk, "csv"])
        return super().get_context_data(
            package=self.package,
            report=report,
            tiers=[
                (Organisation.Tier(tier).label, tally)
                for tier, tally in report.by_tier.items()
            ],
            lineage=self.scope.filter(
                Organisation.objects.filter(
                    pk__in=under.lineage_ids, path__startswith=self.package.owner.path
                ),
                owner="",
            ).order_by("path"),
            chart=receipts_chart(report),
            now=timezone.now(),
            csv_url=export + query,
            xlsx_url=export.removesuffix("csv") + "xlsx" + query,
            **kwargs,
        )


class ReceiptsExportView(ReportRoot, PackagePage, ExportView):
    any_permission_required = ["view", "change"]
    file_name = "签收与落地"

    def get_export(self):
        report = receipts(self.package, self.report_root())
        return f"{self.package.title}-{report.under.name}", receipts_sheets(report)


# Tasks -------------------------------------------------------------------------


def acknowledgement_state(task: PackageTask, now) -> str:
    if task.acknowledged_at:
        return _("已签收")
    if now > task.acknowledge_by:
        return _("逾期未签收")
    return _("待签收")


def task_state(task: PackageTask, now) -> str:
    """Of a task with its receipts (tiers.receipts.attach_receipts)."""
    if task.landed_at:
        return _("已落地")
    if task.taken_up_at:
        return _("已采用")
    return acknowledgement_state(task, now)


class TaskListView(AdminPage, TemplateView):
    permission_policy = task_policy
    any_permission_required = ["view", "change"]
    page_title = gettext_lazy("资源包任务")
    template_name = "tiers/tasks.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        tasks = (
            self.scope.filter(PackageTask.objects.all(), "organisation")
            .select_related("package__owner", "organisation")
            .order_by("-pushed_at", "organisation__path")[:SHOWN_TASKS]
        )
        return super().get_context_data(
            rows=[(task, acknowledgement_state(task, now)) for task in tasks],
            now=now,
            **kwargs,
        )


class TaskView(AdminPage, TemplateView):
    """A recipient's task: what the package asks, its items, and what counts
    as take-up and use. Staff of the recipient itself act on it."""

    permission_policy = task_policy
    any_permission_required = ["view", "change"]
    page_title = gettext_lazy("资源包任务")
    template_name = "tiers/task.html"

    def dispatch(self, request, *args, pk: int, **kwargs):
        self.pk = pk
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def task(self) -> PackageTask:
        tasks = PackageTask.objects.select_related(
            "package__owner", "organisation", "acknowledged_by"
        )
        task = get_object_or_404(tasks, pk=self.pk)
        if not (
            self.scope.covers(task.organisation)
            or self.scope.covers(task.package.owner)
        ):
            raise Http404
        return task

    @cached_property
    def may_act(self) -> bool:
        """Staff of the recipient organisation, with permission to change
        tasks: nobody above acts for it."""
        return self.user_has_permission("change") and (
            own_organisations(self.request.user)
            .filter(pk=self.task.organisation_id)
            .exists()
        )

    def get_page_subtitle(self):
        return f"{self.task.package.title} · {self.task.organisation.name}"

    def screen_groups(self):
        area = ScreenGroup.objects.filter(
            owner__path__startswith=self.task.organisation.path
        )
        return self.scope.filter(area).order_by("path")

    def get_context_data(self, **kwargs):
        task = self.task
        attach_receipts(task.package, [task])
        placements, entries, plays = records_of(task)
        items = list(
            self.task.package.items.filter(page__in=visible_pages()).select_related(
                "page"
            )
        )
        copies = list(task.copies.select_related("copy").order_by("copied_at"))
        copied = {copy.original_id: copy for copy in copies}
        for item in items:
            item.copied = copied.get(item.page_id)
        return super().get_context_data(
            task=task,
            state=task_state(task, timezone.now()),
            package=task.package,
            items=items,
            hidden_items=self.task.package.items.count() - len(items),
            placements=placements.select_related("outlet", "page").order_by(
                "created_at"
            ),
            entries=entries.select_related("group", "page").order_by("added_at"),
            play_count=plays.count(),
            first_play=plays.order_by("started_at")
            .values_list("started_at", flat=True)
            .first(),
            evidence=task.evidence.select_related("recorded_by"),
            copies=copies,
            sections=sections_of(task) if self.may_act else [],
            may_act=self.may_act,
            place_url=reverse("channel_placements:add"),
            playlist_form=kwargs.pop("playlist_form", None)
            or PlaylistForm(self.screen_groups()),
            evidence_form=kwargs.pop("evidence_form", None) or EvidenceForm(),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not self.may_act:
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "acknowledge":
            return self.acknowledge()
        if action == "playlist":
            return self.add_to_playlist()
        if action == "evidence":
            return self.record_evidence()
        if action == "copy":
            return self.copy_item()
        raise Http404

    def acknowledge(self):
        done = PackageTask.objects.filter(pk=self.task.pk, acknowledged_at=None).update(
            acknowledged_at=timezone.now(), acknowledged_by=self.request.user
        )
        if done:
            messages.success(self.request, _("已签收"))
        else:
            messages.info(self.request, _("此前已签收，没有重复记录"))
        return redirect(self.request.path)

    def add_to_playlist(self):
        form = PlaylistForm(self.screen_groups(), self.request.POST)
        item = (
            self.task.package.items.filter(
                pk=self.request.POST.get("item") or 0, page__in=visible_pages()
            )
            .select_related("page")
            .first()
        )
        if item is None:
            raise Http404
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(playlist_form=form))
        group = form.cleaned_data["group"]
        package = self.task.package
        if package.ends_on < timezone.localdate():
            form.add_error(
                "group",
                _("资源包的落实期已于 %(date)s 结束，不能再加入轮播")
                % {"date": package.ends_on.isoformat()},
            )
            return self.render_to_response(self.get_context_data(playlist_form=form))
        if PlaylistItem.objects.filter(group=group, page=item.page).exists():
            messages.info(
                self.request,
                _("「%(title)s」已在“%(group)s”的轮播中")
                % {"title": item.page.title, "group": group.name},
            )
            return redirect(self.request.path)
        entry = playlist_entry(self.task.package, item.page, group)
        with transaction.atomic():
            entry.save()
        messages.success(
            self.request,
            _("已把「%(title)s」加入“%(group)s”的轮播")
            % {"title": item.page.title, "group": group.name},
        )
        return redirect(self.request.path)

    def copy_item(self):
        item = self.task.package.items.filter(
            pk=self.request.POST.get("item") or 0
        ).first()
        section = (
            sections_of(self.task)
            .filter(pk=self.request.POST.get("section") or 0)
            .first()
        )
        if item is None or section is None:
            raise Http404
        try:
            done = copy_into(self.task, item.page, section, self.request.user)
        except ValidationError as error:
            return self.render_to_response(
                self.get_context_data(copy_errors=error.messages)
            )
        messages.success(
            self.request,
            _("已把「%(title)s」转载到“%(section)s”并发布（沿用原内容的科学审核）")
            % {"title": done.copy.title, "section": section.title},
        )
        return redirect(self.request.path)

    def record_evidence(self):
        form = EvidenceForm(self.request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(evidence_form=form))
        evidence = form.save(commit=False)
        evidence.task = self.task
        evidence.recorded_at = timezone.now()
        evidence.recorded_by = self.request.user
        evidence.save()
        messages.success(self.request, _("已记录落地情况"))
        return redirect(self.request.path)


def playlist_entry(package: ResourcePackage, page, group: ScreenGroup) -> PlaylistItem:
    """The page in the group's loop for the package's period (from today
    if it has begun), as a video when it is one, else as an article card."""
    specific = page.specific
    today = timezone.localdate()
    entry = PlaylistItem(
        group=group,
        kind=PlaylistItem.Kind.VIDEO
        if hasattr(specific, "video")
        else PlaylistItem.Kind.CARD,
        page=page,
        starts_on=max(today, package.starts_on),
        ends_on=package.ends_on,
        campaign=package.campaign,
        sort_order=group.playlist_items.count(),
    )
    entry.full_clean(exclude=["group"])
    return entry


# Registration ------------------------------------------------------------------


class PackageViewSet(ScopedViewSetMixin, ModelViewSet):
    model = ResourcePackage
    name = "packages"
    url_prefix = "tiers/packages"
    icon = "resubmit"
    menu_label = gettext_lazy("资源包")
    menu_order = 10
    index_view_class = PackageIndexView
    list_display = ["title", "owner", "starts_on", "ends_on", "acknowledge_within"]
    list_filter = ["owner"]
    panels = [
        FieldPanel("title"),
        FieldPanel("campaign"),
        FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
        FieldRowPanel([FieldPanel("acknowledge_within"), FieldPanel("owner")]),
        FieldPanel("instructions"),
        InlinePanel(
            "items",
            heading=gettext_lazy("资源"),
            label=gettext_lazy("资源"),
            min_num=1,
            panels=[
                PageChooserPanel("page", page_type=CONTENT_TYPES),
                FieldPanel("note"),
            ],
        ),
    ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/push/", PushView.as_view(), name="push"),
            path("<int:pk>/receipts/", ReceiptsView.as_view(), name="receipts"),
            path(
                "<int:pk>/receipts/export.<str:file_format>",
                ReceiptsExportView.as_view(),
                name="export",
            ),
        ]


class TaskMenuItem(MenuItem):
    def is_shown(self, request):
        return task_policy.user_has_any_permission(request.user, ["view", "change"])


class TaskViewSet(ViewSet):
    name = "package_tasks"
    url_prefix = "tiers/tasks"
    icon = "tasks"
    menu_label = gettext_lazy("资源包任务")
    menu_order = 20

    def get_urlpatterns(self):
        return [
            path("", TaskListView.as_view(), name="index"),
            path("<int:pk>/", TaskView.as_view(), name="task"),
        ]

    menu_item_class = TaskMenuItem
