"""Outlets (where things go out), placements (one item on one outlet at one
time) and what rendering a placement produced."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel

from channels.base import Spec, build_spec
from channels.folders import folder_problem
from channels.outputs import outputs_storage
from channels.registry import channel_choices, get_adapter
from cms.organisations import Organisation, owner_field, root_organisation_id


class Outlet(models.Model):
    owner_path = "owner"  # cms.scoped_admin

    class Cadence(models.TextChoices):
        DAILY = "daily", _("每天")
        WEEKLY = "weekly", _("每周")
        MONTHLY = "monthly", _("每月")
        IRREGULAR = "irregular", _("不定期")

    class Delivery(models.TextChoices):
        NONE = "none", _("不推送（编辑下载）")
        FOLDER = "folder", _("文件夹")
        SFTP = "sftp", _("SFTP")
        EMAIL = "email", _("电子邮件")
        WEBHOOK = "webhook", _("HTTP 回调（HMAC 签名）")

    name = models.CharField(_("名称"), max_length=80, unique=True)
    owner = owner_field("outlets")
    channel = models.CharField(_("渠道"), max_length=30, choices=channel_choices)
    organisation = models.CharField(_("所属媒体/机构"), max_length=80)
    spec = models.JSONField(_("渠道参数"), default=dict, blank=True)
    cadence = models.CharField(
        _("刊播周期"), max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY
    )
    cadence_weekdays = models.JSONField(_("刊播日（周一=1）"), default=list, blank=True)
    cadence_time = models.TimeField(_("刊播时间"), null=True, blank=True)
    annual_target = models.PositiveIntegerField(
        _("年度目标（期）"), null=True, blank=True
    )
    delivery = models.CharField(
        _("交付方式"), max_length=10, choices=Delivery.choices, default=Delivery.NONE
    )
    delivery_target = models.CharField(
        _("交付地址"),
        max_length=300,
        blank=True,
        help_text=_(
            "文件夹路径、sftp://用户@主机/路径、收件人（逗号分隔）或 https:// 网址"
        ),
    )
    delivery_secret = models.CharField(_("签名密钥/密码"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    accepts_urgent = models.BooleanField(
        _("接受应急插播"),
        default=False,
        help_text=_("发布应急科普时，立即在此渠道安排一次刊播（电台插播、报纸快讯）"),
    )

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("organisation")]),
        FieldPanel("owner"),
        FieldPanel("channel"),
        FieldPanel("spec"),
        MultiFieldPanel(
            [
                FieldPanel("cadence"),
                FieldPanel("cadence_weekdays"),
                FieldPanel("cadence_time"),
                FieldPanel("annual_target"),
            ],
            heading=_("周期与年度目标"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("delivery"),
                FieldPanel("delivery_target"),
                FieldPanel("delivery_secret"),
            ],
            heading=_("交付"),
        ),
        FieldPanel("accepts_urgent"),
        FieldPanel("active"),
    ]

    class Meta:
        verbose_name = _("渠道账号/栏目")
        verbose_name_plural = _("渠道账号/栏目")
        ordering = ["channel", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.organisation}）"

    @cached_property
    def adapter(self):
        return get_adapter(self.channel)

    @property
    def parsed_spec(self) -> Spec:
        return build_spec(self.adapter.spec_class, self.spec or {})

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.channel:
            try:
                build_spec(self.adapter.spec_class, self.spec or {})
            except ValidationError as error:
                errors["spec"] = error.messages
        if bad_weekdays := [d for d in self.cadence_weekdays if d not in range(1, 8)]:
            errors["cadence_weekdays"] = [_("刊播日必须是 1 到 7：%s") % bad_weekdays]
        if self.channel and (
            refused := self.adapter.refused_deliveries.get(self.delivery)
        ):
            errors["delivery"] = [refused]
        elif message := self.delivery_problem():
            errors["delivery_target"] = [message]
        if errors:
            raise ValidationError(errors)

    def delivery_problem(self) -> str:
        target = self.delivery_target.strip()
        if self.delivery == self.Delivery.NONE:
            return ""
        if not target:
            return _("请填写交付地址")
        if self.delivery == self.Delivery.FOLDER:
            if not target.startswith("/"):
                return _("文件夹必须是绝对路径")
            if problem := folder_problem(target):
                return problem
        if self.delivery == self.Delivery.SFTP and not target.startswith("sftp://"):
            return _("SFTP 地址应为 sftp://用户@主机/路径")
        if self.delivery == self.Delivery.WEBHOOK:
            if not target.startswith(("https://", "http://")):
                return _("回调地址应以 https:// 开头")
            if not self.delivery_secret:
                return _("HTTP 回调需要签名密钥")
        if self.delivery == self.Delivery.EMAIL:
            for address in target.split(","):
                try:
                    validate_email(address.strip())
                except ValidationError:
                    return _("邮箱地址无效：%s") % address.strip()
        return ""


class Placement(models.Model):
    """One content item on one outlet at one time."""

    owner_path = "outlet__owner"  # cms.scoped_admin

    class Status(models.TextChoices):
        PLANNED = "planned", _("已计划")
        CHECKED = "checked", _("已检查")
        RENDERED = "rendered", _("已生成")
        DELIVERED = "delivered", _("已交付")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已撤销")

    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("内容"),
        on_delete=models.CASCADE,
        related_name="placements",
    )
    outlet = models.ForeignKey(
        Outlet,
        verbose_name=_("渠道"),
        on_delete=models.PROTECT,
        related_name="placements",
    )
    scheduled_at = models.DateTimeField(_("刊播时间"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    error = models.TextField(_("错误原因"), blank=True)
    # What the channel's check() said of the item's latest version, run in
    # the background when the placement is planned or moved, the item is
    # edited or the outlet's settings change (channels.checks): a list of
    # {"code", "message", "warning"}.
    check_result = models.JSONField(default=list, blank=True, editable=False)
    checked_at = models.DateTimeField(_("检查时间"), null=True, editable=False)
    advisory = models.ForeignKey(
        "cms.Advisory",
        verbose_name=_("更正/撤回启事"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="placements",
        help_text=_("设置时，这次排期刊播的是该内容的更正启事或撤稿启事"),
    )
    alert = models.ForeignKey(
        "cms.SiteAlert",
        verbose_name=_("应急通知"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="placements",
        editable=False,
        help_text=_("设置时，这是应急科普的插播"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("交付时间"), null=True, blank=True)
    # Where a post made by hand on a platform went (short video's assisted
    # lane): listed for 下架 when the item is withdrawn.
    post_address = models.URLField(_("发布地址"), max_length=500, blank=True)
    posted_at = models.DateTimeField(_("标记发布时间"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("标记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("渠道排期")
        verbose_name_plural = _("渠道排期")
        ordering = ["scheduled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "outlet", "scheduled_at"],
                name="one_placement_per_item_outlet_time",
                violation_error_message=_("该内容已在这个渠道的同一时间排期"),
            )
        ]
        indexes = [models.Index(fields=["status", "scheduled_at"])]

    def __str__(self) -> str:
        when = f"{timezone.localtime(self.scheduled_at):%Y-%m-%d %H:%M}"
        return f"{self.page.title} → {self.outlet.name} @ {when}"

    @property
    def notice_heading(self) -> str:
        """For a notice placement, the notice it carries; else empty."""
        if self.advisory_id is None:
            return ""
        return _("撤稿通知") if self.advisory.is_withdrawal else _("更正启事")

    @property
    def display_title(self) -> str:
        if heading := self.notice_heading:
            return f"{heading}：{self.advisory.title}"
        return self.page.title

    def clean(self) -> None:
        if self.scheduled_at is None or not self.page_id:
            return
        if self._state.adding and self.scheduled_at < timezone.now():
            raise ValidationError({"scheduled_at": _("刊播时间已经过去")})
        if not page_goes_live_by(self.page, self.scheduled_at):
            raise ValidationError(
                {
                    "page": _("「%(title)s」尚未发布或未通过科学性审核，不能排期")
                    % {"title": self.page.title}
                }
            )
        if self.outlet_id and not self.outlet.active:
            raise ValidationError({"outlet": _("该渠道已停用")})

    def record(self, status: str, user=None, note: str = "") -> None:
        """Move to a status and keep the change in the placement's history;
        a notice placement's recipient follows it."""
        self.status = status
        PlacementEvent.objects.create(
            placement=self, status=status, user=user, note=note
        )
        if self.advisory_id:
            state = AdvisoryRecipient.state_of_placement(self)
            if state == AdvisoryRecipient.State.PENDING and self.is_delivered:
                note = AdvisoryRecipient.DOWNLOAD_AND_CALL
            self.notice_recipients.update(
                state=state, detail=note, updated_at=timezone.now()
            )

    @property
    def is_delivered(self) -> bool:
        return self.status == self.Status.DELIVERED

    @property
    def check_failures(self) -> list[str]:
        """The stored check's problems that would stop the item going out."""
        return [p["message"] for p in self.check_result if not p.get("warning")]


def page_goes_live_by(page, moment) -> bool:
    """Live now, or reviewed and scheduled to go live no later than moment."""
    if page.live:
        return page.expire_at is None or page.expire_at > moment
    return page.revisions.filter(approved_go_live_at__lte=moment).exists()


class PlacementEvent(models.Model):
    """Each status change of a placement: who, when, why."""

    placement = models.ForeignKey(
        Placement, on_delete=models.CASCADE, related_name="events"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Placement.Status.choices
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("排期记录")
        verbose_name_plural = _("排期记录")


def output_path(instance: "OutputFile", filename: str) -> str:
    return f"channels/outputs/{instance.placement_id}/{filename}"


class OutputFile(models.Model):
    """One file of a placement's rendered package (DOCX, PDF, NITF, audio …)."""

    placement = models.ForeignKey(
        Placement, on_delete=models.CASCADE, related_name="outputs"
    )
    name = models.CharField(_("文件名"), max_length=200)
    file = models.FileField(_("文件"), upload_to=output_path, storage=outputs_storage)
    mime_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "name"], name="one_output_per_name"
            )
        ]


class AdvisoryRecipient(models.Model):
    """One recipient of an item that was corrected or withdrawn — an outlet,
    a partner, a screen group, a platform account — with the signal it was
    sent and where that stands. `sender` names the function that sends (and
    re-sends) it: it receives the row and returns (state, detail)."""

    owner_path = "organisation"  # cms.scoped_admin

    class State(models.TextChoices):
        PENDING = "pending", _("待处理")
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        ACKNOWLEDGED = "acknowledged", _("已确认")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已取消")

    advisory = models.ForeignKey(
        "cms.Advisory",
        verbose_name=_("更正/撤回"),
        on_delete=models.CASCADE,
        related_name="recipients",
    )
    channel = models.CharField(_("渠道"), max_length=40)
    name = models.CharField(_("接收方"), max_length=200)
    reference = models.CharField(_("接收方编号"), max_length=80)
    outlet = models.ForeignKey(
        Outlet,
        verbose_name=_("渠道账号/栏目"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    placement = models.ForeignKey(
        Placement,
        verbose_name=_("启事排期"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notice_recipients",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        default=root_organisation_id,
        related_name="advisory_recipients",
    )
    sender = models.CharField(max_length=120, editable=False)
    sent = models.TextField(_("发送内容"))
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default=State.PENDING
    )
    detail = models.TextField(_("说明"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("更正/撤回接收方")
        verbose_name_plural = _("更正/撤回接收方")
        ordering = ["channel", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["advisory", "channel", "reference"],
                name="one_row_per_advisory_recipient",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}：{self.get_state_display()}"

    DOWNLOAD_AND_CALL = _(
        "启事已生成；该渠道不接收推送：请下载后电话或邮件通知对方，再标记为已确认"
    )

    @staticmethod
    def state_of_placement(placement: Placement) -> str:
        """A notice delivered to an outlet that takes nothing pushed still
        waits for a person to tell the desk."""
        pushed = placement.outlet.delivery != Outlet.Delivery.NONE
        states = {
            Placement.Status.DELIVERED: (
                AdvisoryRecipient.State.DELIVERED
                if pushed
                else AdvisoryRecipient.State.PENDING
            ),
            Placement.Status.FAILED: AdvisoryRecipient.State.FAILED,
            Placement.Status.CANCELLED: AdvisoryRecipient.State.CANCELLED,
        }
        return states.get(placement.status, AdvisoryRecipient.State.PENDING)


class SentEmail(models.Model):
    """An e-mail delivery, recorded before it is handed to the mail server:
    a repeat of the same delivery (same Message-ID) is never sent again."""

    message_id = models.CharField(_("邮件标识"), max_length=255, unique=True)
    recipients = models.TextField(_("收件人"))
    subject = models.CharField(_("主题"), max_length=255)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已发邮件")
        verbose_name_plural = _("已发邮件")

    def __str__(self) -> str:
        return self.message_id
