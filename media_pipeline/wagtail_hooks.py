from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtailmedia import get_permission_policy

from media_pipeline import admin_views

urlpatterns = [
    path(
        "media/<int:media_id>/export/",
        admin_views.ExportView.as_view(),
        name="export",
    ),
    path("jobs/", admin_views.JobListView.as_view(), name="jobs"),
    path("jobs/status/", admin_views.job_status, name="job_status"),
    path("jobs/<int:job_id>/cancel/", admin_views.cancel_job, name="cancel"),
    path(
        "renditions/<int:rendition_id>/download/",
        admin_views.download_rendition,
        name="download",
    ),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path(
            "media-pipeline/",
            include((urlpatterns, "media_pipeline"), namespace="media_pipeline"),
        )
    ]


class ExportJobsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return get_permission_policy().user_has_any_permission(
            request.user, admin_views.LISTING_PERMISSIONS
        )


@hooks.register("register_admin_menu_item")
def register_export_jobs_menu_item():
    return ExportJobsMenuItem(
        _("导出任务"),
        reverse("media_pipeline:jobs"),
        name="export-jobs",
        icon_name="download",
        order=310,
    )
