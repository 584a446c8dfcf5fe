"""Resource packages (资源包): reviewed items an organisation bundles with a
theme, a period and instructions, and pushes to organisations below it.
Each recipient gets a task: acknowledge it (签收) in time, take the items up
(采用) and prove their use (落地). Take-up and use are read from the records
the product keeps (tiers.receipts); only what it cannot see is recorded here
by hand (LandingEvidence)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from cms.organisations import Organisation
from cms.pages import ContentPage, visible_pages


class ResourcePackage(ClusterableModel):
    owner_path = "owner"  # cms.scoped_admin: the sender

    class Window(models.IntegerChoices):
        TEN_MINUTES = 10, _("10 分钟")
        FIFTEEN_MINUTES = 15, _("15 分钟")
        HALF_HOUR = 30, _("30 分钟")
        ONE_HOUR = 60, _("1 小时")
        TWO_HOURS = 120, _("2 小时")
        ONE_DAY = 24 * 60, _("1 天")
        TWO_DAYS = 2 * 24 * 60, _("2 天")
        THREE_DAYS = 3 * 24 * 60, _("3 天")
        ONE_WEEK = 7 * 24 * 60, _("7 天")

    title = models.CharField(_("名称"), max_length=120)
    campaign = models.ForeignKey(
        "cms.Campaign",
        verbose_name=_("主题活动"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    instructions = models.TextField(
        _("落实要求"),
        blank=True,
        help_text=_("接收单位要做什么：在哪些渠道、什么时间前刊播或播放"),
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(
        _("结束日期"), help_text=_("落地（刊播、播放）须在这一天结束前完成")
    )
    acknowledge_within = models.PositiveIntegerField(
        _("签收时限"), choices=Window.choices, default=Window.TWO_DAYS
    )
    owner = models.ForeignKey(
        Organisation,
        verbose_name=_("发送单位"),
        on_delete=models.PROTECT,
        related_name="packages_sent",
    )
    alert = models.OneToOneField(
        "cms.SiteAlert",
        verbose_name=_("应急通知"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="package",
        editable=False,
        help_text=_("设置时，这是一次应急科普：同时发往各渠道（tiers.emergency）"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资源包")
        verbose_name_plural = _("资源包")
        ordering = ["-starts_on", "-pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("结束日期不能早于开始日期")})

    @property
    def is_emergency(self) -> bool:
        return self.alert_id is not None

    @property
    def acknowledge_window(self) -> timedelta:
        return timedelta(minutes=self.acknowledge_within)


class PackageItem(Orderable):
    package = ParentalKey(ResourcePackage, related_name="items")
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("内容"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    note = models.CharField(
        _("说明"), max_length=200, blank=True, help_text=_("例如：建议在周末版刊发")
    )

    class Meta(Orderable.Meta):
        verbose_name = _("资源")
        verbose_name_plural = _("资源")
        constraints = [
            models.UniqueConstraint(
                fields=["package", "page"], name="package_item_once"
            )
        ]

    def __str__(self) -> str:
        return str(self.page)

    def clean(self) -> None:
        page = self.page if self.page_id else None
        if page is None:
            return
        if not issubclass(page.specific_class, ContentPage):
            raise ValidationError({"page": _("只能放入科普文章、科普视频或专栏节目")})
        if not visible_pages().filter(pk=page.pk).exists():
            raise ValidationError(
                {
                    "page": _("「%(title)s」尚未发布、未通过科学性审核或已下线")
                    % {"title": page.title}
                }
            )


class PackageTask(models.Model):
    """One recipient's task for one package. Pushing again to the same
    organisation finds this row: a task is made once."""

    package = models.ForeignKey(
        ResourcePackage,
        verbose_name=_("资源包"),
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("接收单位"),
        on_delete=models.PROTECT,
        related_name="package_tasks",
    )
    pushed_at = models.DateTimeField(_("推送时间"))
    pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledge_by = models.DateTimeField(_("签收期限"), db_index=True)
    had_staff = models.BooleanField(
        _("推送时有人员"),
        help_text=_("推送时该单位没有任何人员账号，任务无人能签收"),
    )
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reminded_at = models.DateTimeField(_("催办时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("上报上级时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("资源包任务")
        verbose_name_plural = _("资源包任务")
        ordering = ["package", "organisation__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["package", "organisation"], name="package_task_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.package} → {self.organisation.name}"


class LandingEvidence(models.Model):
    """Proof of use the product cannot see for itself: a note and a link
    (a newspaper page's photo online, an event report)."""

    task = models.ForeignKey(
        PackageTask,
        verbose_name=_("任务"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    note = models.TextField(_("落地情况"))
    link = models.URLField(_("链接"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("落地记录")
        verbose_name_plural = _("落地记录")
        ordering = ["recorded_at"]


class PackageCopy(models.Model):
    """An item a recipient took up by copying it into its own section,
    crediting the sender (tiers.take_up). The copy's first publication
    is its 落地."""

    task = models.ForeignKey(
        PackageTask,
        verbose_name=_("任务"),
        on_delete=models.CASCADE,
        related_name="copies",
    )
    original = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("原内容"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    copy = models.OneToOneField(
        "wagtailcore.Page",
        verbose_name=_("本单位的转载"),
        on_delete=models.CASCADE,
        related_name="package_copy",
    )
    copied_at = models.DateTimeField(_("转载时间"))
    copied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("转载人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("转载")
        verbose_name_plural = _("转载")
        constraints = [
            models.UniqueConstraint(
                fields=["task", "original"], name="package_copy_once"
            )
        ]
