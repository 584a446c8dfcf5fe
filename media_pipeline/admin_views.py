"""Admin views of the media pipeline: the export form of a media item, the
list of export jobs with its JSON status endpoint, cancel, and downloads of
renditions. Wagtail's admin URLs require a logged-in admin user; each view
also checks the user's wagtailmedia permissions."""

from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.auth import permission_denied
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.documents import get_document_model
from wagtail.documents.widgets import AdminDocumentChooser
from wagtailmedia import get_media_model, get_permission_policy

from media_pipeline.errors import MediaError
from media_pipeline.models import (
    ExportJob,
    MediaProbe,
    Reframe,
    Rendition,
    local_file,
)
from media_pipeline.presets import PRESETS
from media_pipeline.subtitles import load_subtitles
from media_pipeline.tasks import cancel_export, request_export

SUBTITLE_SUFFIXES = (".srt", ".vtt")
JOBS_PER_PAGE = 50
POLL_MILLISECONDS = 1500
LISTING_PERMISSIONS = ["add", "change", "delete"]


def preset_choices() -> list[tuple[str, str]]:
    choices = []
    for preset in PRESETS.values():
        size = f"{preset.width}×{preset.height}"
        if preset.requires_subtitles:
            label = _("%(label)s（%(size)s，需字幕）")
        else:
            label = _("%(label)s（%(size)s）")
        choices.append((preset.name, label % {"label": preset.label, "size": size}))
    return choices


class ExportForm(forms.Form):
    preset = forms.ChoiceField(label=gettext_lazy("平台"), choices=preset_choices)
    reframe = forms.ChoiceField(
        label=gettext_lazy("构图"),
        choices=Reframe.choices,
        initial=Reframe.BLUR,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "画面比例与平台不同时：模糊背景保留完整画面，居中裁切铺满画面"
        ),
    )
    title = forms.CharField(
        label=gettext_lazy("标题"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("片头标题卡上的文字；留空则不加标题卡"),
    )
    subtitles = forms.ModelChoiceField(
        label=gettext_lazy("字幕"),
        queryset=get_document_model().objects.all(),
        required=False,
        widget=AdminDocumentChooser,
        help_text=gettext_lazy("SRT 或 WebVTT 文件（UTF-8 或 GBK），烧录进画面"),
    )

    def clean_subtitles(self):
        document = self.cleaned_data["subtitles"]
        if document is None:
            return None
        if Path(document.file.name).suffix.lower() not in SUBTITLE_SUFFIXES:
            raise ValidationError(_("请选择 SRT 或 WebVTT 字幕文件"))
        try:
            with local_file(document.file) as path:
                load_subtitles(path)
        except MediaError as error:
            raise ValidationError(error.message) from None
        return document


def can_change(user, media) -> bool:
    return get_permission_policy().user_has_permission_for_instance(
        user, "change", media
    )


def visible_jobs(user):
    media = get_permission_policy().instances_user_has_permission_for(user, "change")
    return ExportJob.objects.filter(media__in=media).select_related(
        "media", "rendition", "created_by"
    )


class ExportView(WagtailAdminTemplateMixin, FormView):
    form_class = ExportForm
    template_name = "media_pipeline/admin/export_form.html"
    page_title = gettext_lazy("导出短视频")
    header_icon = "media"

    def dispatch(self, request, media_id: int):
        self.media = get_object_or_404(get_media_model(), pk=media_id)
        if not can_change(request.user, self.media):
            return permission_denied(request)
        return super().dispatch(request, media_id)

    def get_page_subtitle(self) -> str:
        return self.media.title

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailmedia:index"), "label": _("媒体")},
            {
                "url": reverse("wagtailmedia:edit", args=[self.media.pk]),
                "label": self.media.title,
            },
            {"url": "", "label": self.page_title},
        ]

    def get_initial(self) -> dict:
        return {"title": self.media.title, "reframe": Reframe.BLUR}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            media=self.media,
            probe=MediaProbe.objects.filter(media=self.media).first(),
            renditions=self.media.renditions.all(),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        result = request_export(
            self.media,
            data["preset"],
            data["reframe"],
            data["title"].strip(),
            data["subtitles"],
            self.request.user,
        )
        if result.outcome == "refused":
            problems = [problem.render(_) for problem in result.problems]
            context = self.get_context_data(form=form, problems=problems)
            return self.render_to_response(context)
        for caution in result.cautions:
            messages.warning(self.request, caution.render(_))
        label = PRESETS[data["preset"]].label
        names = {"title": self.media.title, "preset": label}
        if result.outcome == "reused":
            download = reverse("media_pipeline:download", args=[result.rendition.pk])
            messages.success(
                self.request,
                _(
                    "「%(title)s」的%(preset)s版已导出过，源文件和设置都没有变化：直接复用，不再重新编码。"
                )
                % names,
                buttons=[messages.button(download, _("下载"))],
            )
        elif result.outcome == "running":
            messages.info(self.request, _("相同的导出任务已在进行中。"))
        else:
            messages.success(
                self.request, _("已加入导出队列：「%(title)s」%(preset)s版。") % names
            )
        return redirect("media_pipeline:jobs")


class JobListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "media_pipeline/admin/job_list.html"
    page_title = gettext_lazy("导出任务")
    header_icon = "download"

    def dispatch(self, request, *args, **kwargs):
        policy = get_permission_policy()
        if not policy.user_has_any_permission(request.user, LISTING_PERMISSIONS):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        paginator = Paginator(visible_jobs(self.request.user), JOBS_PER_PAGE)
        jobs = paginator.get_page(self.request.GET.get("p"))
        return super().get_context_data(
            jobs=jobs,
            elided_page_range=paginator.get_elided_page_range(jobs.number),
            poll_milliseconds=POLL_MILLISECONDS,
            labels={"download": _("下载"), "details": _("ffmpeg 输出（最后几行）")},
            **kwargs,
        )


def job_payload(job: ExportJob) -> dict[str, object]:
    download = None
    if job.rendition_id:
        download = reverse("media_pipeline:download", args=[job.rendition_id])
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "active": job.is_active,
        "progress": job.progress,
        "error": job.error,
        "error_details": job.error_details,
        "download_url": download,
    }


@require_GET
def job_status(request):
    """The progress of the jobs named by ?id=…, for the job list to poll."""
    ids = [value for value in request.GET.getlist("id") if value.isdigit()]
    jobs = visible_jobs(request.user).filter(pk__in=ids)
    return JsonResponse({"jobs": [job_payload(job) for job in jobs]})


@require_POST
def cancel_job(request, job_id: int):
    job = get_object_or_404(visible_jobs(request.user), pk=job_id)
    if job.is_active:
        cancel_export(job)
        messages.success(request, _("已请求取消：%(job)s") % {"job": job})
    else:
        messages.warning(request, _("任务已经结束，无需取消：%(job)s") % {"job": job})
    return redirect("media_pipeline:jobs")


@require_GET
def download_rendition(request, rendition_id: int):
    rendition = get_object_or_404(
        Rendition.objects.select_related("media"), pk=rendition_id
    )
    if not can_change(request.user, rendition.media):
        return permission_denied(request)
    if not rendition.file.storage.exists(rendition.file.name):
        raise Http404(_("导出文件不存在"))
    return FileResponse(
        rendition.file.open("rb"),
        as_attachment=True,
        filename=rendition.download_name,
        content_type="video/mp4",
    )
