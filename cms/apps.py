from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("科普内容")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.models import AbstractUser
        from django_tasks.signals import task_finished, task_started
        from wagtail.models import Revision
        from wagtail.signals import page_published, page_unpublished

        from cms import (
            advisories,
            files,
            frontend_purge,
            page_cache,
            public_address,
            reindex,
            task_log,
        )
        from cms.converters import RowIdConverter
        from cms.names import full_name

        AbstractUser.get_full_name = full_name
        register_converter(RowIdConverter, "id")

        page_published.connect(files.on_page_published, dispatch_uid="cms.files")
        page_published.connect(
            advisories.on_page_published, dispatch_uid="cms.advisories"
        )
        page_unpublished.connect(
            advisories.on_page_unpublished, dispatch_uid="cms.advisories"
        )
        post_save.connect(
            files.on_revision_saved, sender=Revision, dispatch_uid="cms.files"
        )
        post_migrate.connect(files.on_migrated, sender=self, dispatch_uid="cms.files")
        post_migrate.connect(
            public_address.sync_default_site,
            sender=self,
            dispatch_uid="cms.public_address",
        )
        post_migrate.connect(
            reindex.on_migrated, sender=self, dispatch_uid="cms.reindex"
        )
        task_started.connect(task_log.on_task_started, dispatch_uid="cms.task_log")
        task_finished.connect(task_log.on_task_finished, dispatch_uid="cms.task_log")
        page_cache.connect_signals()
        frontend_purge.connect_signals()
