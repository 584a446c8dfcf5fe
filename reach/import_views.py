"""导入短视频数据: an account's export file is uploaded, checked row by row
and shown (accepted as new, updated or unchanged; rejected with the
reason; columns ignored) before anything is saved; 确认导入 saves the
accepted rows. Or figures typed in for one post. Whoever may change
placements may import, for the accounts of their organisations."""

import uuid
from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSet

from channels.admin_views import PlacementMenuItem, placement_policy
from channels.models import Outlet, Placement
from cms.organisations import Scope
from reach.imports import (
    CHANNEL,
    MAX_BYTES,
    BadFile,
    ImportCheck,
    check_file,
    check_typed,
    save_import,
)

PENDING = "reach_pending_imports"  # session: token → (outlet, as of, file name)
METRIC_FIELDS = {
    "plays": gettext_lazy("播放"),
    "likes": gettext_lazy("点赞"),
    "comments": gettext_lazy("评论"),
    "shares": gettext_lazy("转发"),
}


def accounts_for(user):
    outlets = Outlet.objects.filter(channel=CHANNEL).order_by("name")
    return Scope.of(user).filter(outlets)


class ImportForm(forms.Form):
    outlet = forms.ModelChoiceField(
        label=gettext_lazy("短视频账号"), queryset=Outlet.objects.none()
    )
    as_of = forms.DateField(
        label=gettext_lazy("数据截至日期"),
        help_text=gettext_lazy("导出文件里的数字是截至这一天的累计数"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    file = forms.FileField(
        label=gettext_lazy("导出文件"),
        help_text=gettext_lazy(
            "创作者中心导出的 CSV（UTF-8 或 GBK）或 XLSX，不超过 5 MB"
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outlet"].queryset = accounts_for(user)
        self.fields["as_of"].initial = timezone.localdate()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("文件超过 5 MB，请按月分开导出"))
        return upload


class ImportAccess(PermissionCheckedMixin, WagtailAdminTemplateMixin):
    permission_policy = placement_policy
    permission_required = "change"
    header_icon = "upload"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]


class ImportView(ImportAccess, FormView):
    page_title = gettext_lazy("导入短视频数据")
    template_name = "reach/admin/import.html"
    form_class = ImportForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        data = upload.read()
        outlet, as_of = form.cleaned_data["outlet"], form.cleaned_data["as_of"]
        try:
            check = check_file(outlet, as_of, upload.name, data)
        except BadFile as problem:
            form.add_error("file", str(problem))
            return self.form_invalid(form)
        forget_stale_uploads()
        token = uuid.uuid4().hex
        default_storage.save(stored_name(token), ContentFile(data))
        pending = self.request.session.get(PENDING, {})
        pending[token] = [outlet.pk, as_of.isoformat(), upload.name]
        self.request.session[PENDING] = pending
        return self.render_to_response(
            self.get_context_data(form=form, check=check, token=token)
        )


UPLOADS = "reach-imports"
KEPT_FOR = timedelta(days=1)


def stored_name(token: str) -> str:
    return f"{UPLOADS}/{token}.upload"


def forget_stale_uploads() -> None:
    """Files checked but never confirmed (放弃, or the session ended)."""
    try:
        _folders, names = default_storage.listdir(UPLOADS)
    except FileNotFoundError:
        return
    stale = timezone.now() - KEPT_FOR
    for name in names:
        path = f"{UPLOADS}/{name}"
        if default_storage.get_modified_time(path) < stale:
            default_storage.delete(path)


class ConfirmImportView(ImportAccess, FormView):
    page_title = gettext_lazy("导入短视频数据")
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        token = request.POST.get("token", "")
        pending = request.session.get(PENDING, {})
        if token not in pending:
            raise Http404
        outlet_id, as_of, file_name = pending.pop(token)
        request.session[PENDING] = pending
        outlet = accounts_for(request.user).filter(pk=outlet_id).first()
        if outlet is None:
            raise Http404
        with default_storage.open(stored_name(token), "rb") as stored:
            data = stored.read()
        default_storage.delete(stored_name(token))
        check = check_file(outlet, date.fromisoformat(as_of), file_name, data)
        changed = save_import(check)
        messages.success(request, saved_message(check, changed))
        return redirect(ledger_of(outlet))


def saved_message(check: ImportCheck, changed: int) -> str:
    message = _(
        "已导入《%(file)s》：%(changed)s 条作品的数据有新增或更新，"
        "%(unchanged)s 条无变化，%(rejected)s 行未导入"
    )
    return message % {
        "file": check.file_name or _("手工录入"),
        "changed": changed,
        "unchanged": check.count("unchanged"),
        "rejected": len(check.rejected),
    }


def ledger_of(outlet: Outlet) -> str:
    return (
        reverse("reach_records:index")
        + "?"
        + urlencode({"channel": CHANNEL, "outlet": outlet.pk})
    )


class TypedForm(forms.Form):
    post = forms.ModelChoiceField(
        label=gettext_lazy("作品"), queryset=Placement.objects.none()
    )
    as_of = forms.DateField(
        label=gettext_lazy("数据截至日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = (
            Placement.objects.filter(
                outlet__in=accounts_for(user), status=Placement.Status.DELIVERED
            )
            .exclude(post_address="")
            .select_related("page", "outlet")
            .order_by("-posted_at")
        )
        self.fields["post"].label_from_instance = lambda post: (
            f"{post.outlet.name}：{post.page.title}"
        )
        self.fields["as_of"].initial = timezone.localdate()
        for name, label in METRIC_FIELDS.items():
            self.fields[name] = forms.IntegerField(
                label=label, min_value=0, required=False
            )

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) is not None for name in METRIC_FIELDS):
            raise forms.ValidationError(_("请至少填写一项数据"))
        return cleaned


class TypedView(ImportAccess, FormView):
    page_title = gettext_lazy("手工录入短视频数据")
    template_name = "reach/admin/typed.html"
    form_class = TypedForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        post = form.cleaned_data["post"]
        figures = {name: form.cleaned_data.get(name) for name in METRIC_FIELDS}
        try:
            check = check_typed(post, form.cleaned_data["as_of"], figures)
        except BadFile as problem:
            form.add_error("as_of", str(problem))
            return self.form_invalid(form)
        if check.rejected:
            form.add_error(None, check.rejected[0].problem)
            return self.form_invalid(form)
        messages.success(self.request, saved_message(check, save_import(check)))
        return redirect(ledger_of(post.outlet))


class ImportViewSet(ViewSet):
    name = "reach_import"
    url_prefix = "reach/import"
    icon = "upload"
    menu_label = gettext_lazy("导入短视频数据")
    menu_order = 10
    menu_item_class = PlacementMenuItem

    def get_urlpatterns(self):
        return [
            path("", ImportView.as_view(), name="index"),
            path("confirm/", ConfirmImportView.as_view(), name="confirm"),
            path("typed/", TypedView.as_view(), name="typed"),
        ]
