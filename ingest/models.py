"""上游稿源: the upstream feeds editors watch, and each entry taken from them
(the record that keeps an entry from being ingested twice)."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.organisations import owner_field

MAX_BACK_OFF = timedelta(hours=24)
# Long enough for any real GUID or link; short enough for a B-tree index entry
# on PostgreSQL (about 2,700 bytes) even when every character takes 3 bytes.
KEY_LENGTH = 800


class HttpURLField(models.URLField):
    """A URL the poller may fetch: http or https, nothing else."""

    default_validators = [URLValidator(schemes=["http", "https"])]


# Drafts are filed under a 栏目 (as 科普文章) or a 专栏 (as its next 期).
TARGET_PAGE_TYPES = ["cms.ContentIndexPage", "cms.ColumnPage"]


class UpstreamFeed(models.Model):
    owner_path = "owner"  # cms.scoped_admin

    class Status(models.TextChoices):
        NEW = "new", _("尚未抓取")
        OK = "ok", _("成功")
        NOT_MODIFIED = "not_modified", _("无更新（304）")
        ERROR = "error", _("出错")

    title = models.CharField(_("名称"), max_length=120)
    url = HttpURLField(
        _("订阅源地址"),
        max_length=1000,
        help_text=_("RSS、Atom 或 JSON Feed 的地址（http 或 https）"),
    )
    owner = owner_field("upstream_feeds")
    active = models.BooleanField(_("启用"), default=True)
    poll_interval_minutes = models.PositiveIntegerField(
        _("抓取间隔（分钟）"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
    )
    target = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("草稿存放位置"),
        null=True,
        blank=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("栏目（生成科普文章草稿）或专栏（生成专栏节目草稿）"),
    )
    topics = models.ManyToManyField(
        "cms.Topic",
        verbose_name=_("默认主题"),
        blank=True,
        help_text=_("每篇草稿都加上这些主题"),
    )
    credit = models.CharField(
        _("来源署名"),
        max_length=120,
        help_text=_("写入草稿的“来源/署名”，如“科普中国”"),
    )
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    # What the last polls found; written by the poller only.
    etag = models.CharField(_("ETag"), max_length=500, blank=True, editable=False)
    last_modified = models.CharField(
        _("Last-Modified"), max_length=100, blank=True, editable=False
    )
    last_polled_at = models.DateTimeField(_("上次抓取"), null=True, editable=False)
    next_poll_at = models.DateTimeField(
        _("下次抓取"), null=True, db_index=True, editable=False
    )
    last_status = models.CharField(
        _("上次结果"),
        max_length=20,
        choices=Status.choices,
        default=Status.NEW,
        editable=False,
    )
    failures = models.PositiveIntegerField(_("连续失败次数"), default=0, editable=False)
    last_error = models.TextField(_("错误原因"), blank=True, editable=False)
    last_warning = models.TextField(_("警告"), blank=True, editable=False)
    items_created = models.PositiveIntegerField(
        _("已生成草稿"), default=0, editable=False
    )

    class Meta:
        verbose_name = _("上游订阅源")
        verbose_name_plural = _("上游订阅源")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.target_id is None:
            return
        if self.target.specific_class._meta.label not in TARGET_PAGE_TYPES:
            raise ValidationError(
                {"target": _("请选择栏目或专栏页面，草稿只能放在这两类页面下")}
            )

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.poll_interval_minutes)

    def back_off_until(self, now: datetime, failures: int) -> datetime:
        """When to try again after this many failures in a row: the interval
        doubled for each, at most MAX_BACK_OFF."""
        return now + min(self.interval * 2**failures, MAX_BACK_OFF)


class IngestedEntry(models.Model):
    owner_path = "feed__owner"  # cms.scoped_admin

    feed = models.ForeignKey(
        UpstreamFeed,
        verbose_name=_("上游订阅源"),
        on_delete=models.CASCADE,
        related_name="entries",
    )
    guid = models.CharField(_("条目标识"), max_length=KEY_LENGTH)
    link = models.URLField(_("原文链接"), max_length=KEY_LENGTH, blank=True)
    title = models.CharField(_("原文标题"), max_length=255)
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("草稿"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("原文发布时间"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("抓取时间"), default=timezone.now)
    images_dropped = models.PositiveIntegerField(_("未转载的图片"), default=0)
    duplicate = models.BooleanField(
        _("重复条目"),
        default=False,
        help_text=_("链接与已抓取的稿件相同，没有另建草稿"),
    )

    class Meta:
        verbose_name = _("抓取的稿件")
        verbose_name_plural = _("抓取的稿件")
        ordering = ["-fetched_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["feed", "guid"], name="ingest_entry_unique_guid_per_feed"
            )
        ]
        indexes = [models.Index(fields=["link"], name="ingest_entry_link")]

    def __str__(self) -> str:
        return self.title
