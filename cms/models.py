"""The cms app's models: content pages, snippets and the review task (in their
own modules) and the worker heartbeats that the health check reads."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cms.advisories import Advisory  # noqa: F401
from cms.alerts import AlertNotice, SiteAlert  # noqa: F401
from cms.files import ApprovedFile, FileSnapshot  # noqa: F401
from cms.organisations import Organisation  # noqa: F401
from cms.page_cache import PageCacheGeneration  # noqa: F401
from cms.pages import (  # noqa: F401 (Django finds models through this module)
    ArticlePage,
    ColumnEpisodePage,
    ColumnPage,
    ContentIndexPage,
    HomePage,
    VideoPage,
)
from cms.review import CarriedReview, ScienceReviewTask  # noqa: F401
from cms.snippets import Audience, Campaign, Expert, Topic  # noqa: F401


class WorkerHeartbeat(models.Model):
    """One row per running worker process, refreshed at every scheduler tick."""

    worker_id = models.CharField(_("工作进程"), max_length=100, unique=True)
    runs_tasks = models.BooleanField(_("执行后台任务"), default=True)
    started_at = models.DateTimeField(_("启动时间"))
    last_tick_at = models.DateTimeField(_("最近调度时间"), db_index=True)
    published = models.PositiveIntegerField(_("累计发布"), default=0)
    expired = models.PositiveIntegerField(_("累计下线"), default=0)

    class Meta:
        verbose_name = _("工作进程心跳")
        verbose_name_plural = _("工作进程心跳")

    def __str__(self) -> str:
        return self.worker_id
