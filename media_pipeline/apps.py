from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class MediaPipelineConfig(AppConfig):
    name = "media_pipeline"
    label = "media_pipeline"
    verbose_name = _("媒体处理")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtailmedia.models import get_media_model

        from media_pipeline.models import Rendition, delete_rendition_file
        from media_pipeline.tasks import probe_when_file_changes

        post_save.connect(
            probe_when_file_changes,
            sender=get_media_model(),
            dispatch_uid="media_pipeline_probe_on_upload",
        )
        post_delete.connect(
            delete_rendition_file,
            sender=Rendition,
            dispatch_uid="media_pipeline_delete_rendition_file",
        )
