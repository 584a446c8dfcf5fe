"""Media partners, their API keys (stored hashed, scoped to feed definitions,
revocable, expiring) and the log of every pull.

A key is `kp_` and 43 URL-safe characters. Only its SHA-256 is stored, with
the first characters after `kp_` as a prefix that the admin shows; the clear
key exists only in the response that created it."""

import hashlib
import re
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.organisations import owner_field

KEY_PREFIX = "kp_"
KEY_PATTERN = re.compile(r"^kp_[A-Za-z0-9_-]{43}$")
PREFIX_CHARS = 8
MIN_SECRET_CHARS = 16


def hash_key(clear: str) -> str:
    return hashlib.sha256(clear.encode()).hexdigest()


def new_clear_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class Partner(models.Model):
    owner_path = "owner"  # cms.scoped_admin

    class Notice(models.TextChoices):
        NONE = "none", _("不自动通知（由编辑联系）")
        EMAIL = "email", _("发邮件到联系邮箱")
        WEBHOOK = "webhook", _("回调（签名的 HTTP POST）")

    name = models.CharField(_("名称"), max_length=80, unique=True)
    organisation = models.CharField(_("机构"), max_length=120, blank=True)
    owner = owner_field("partners")
    contact_name = models.CharField(_("联系人"), max_length=40)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    active = models.BooleanField(
        _("启用"), default=True, help_text=_("停用后该合作方的全部密钥都不能使用")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    notice_method = models.CharField(
        _("更正与撤回通知方式"),
        max_length=10,
        choices=Notice.choices,
        default=Notice.NONE,
        help_text=_("合作方取用过的内容被更正或撤回时，如何通知对方"),
    )
    notice_url = models.URLField(
        _("回调地址"),
        blank=True,
        max_length=500,
        help_text=_("通知方式为回调时必填；只接受 https:// 或 http:// 地址"),
    )
    notice_secret = models.CharField(
        _("签名密钥"),
        max_length=128,
        blank=True,
        help_text=_(
            "通知方式为回调时必填，至少 %(n)d 个字符；请求头 X-Kepu-Signature "
            "为 sha256= 加请求体的 HMAC-SHA256"
        )
        % {"n": MIN_SECRET_CHARS},
    )

    class Meta:
        verbose_name = _("合作方")
        verbose_name_plural = _("合作方")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.notice_method == self.Notice.EMAIL and not self.contact_email:
            errors["contact_email"] = _("通知方式为发邮件时，请填写联系邮箱")
        if self.notice_method == self.Notice.WEBHOOK:
            if not self.notice_url:
                errors["notice_url"] = _("通知方式为回调时，请填写回调地址")
            if len(self.notice_secret) < MIN_SECRET_CHARS:
                errors["notice_secret"] = _(
                    "通知方式为回调时，请填写至少 %(n)d 个字符的签名密钥"
                ) % {"n": MIN_SECRET_CHARS}
        if errors:
            raise ValidationError(errors)


class ApiKey(models.Model):
    owner_path = "partner__owner"  # cms.scoped_admin

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        REVOKED = "revoked", _("已吊销")
        EXPIRED = "expired", _("已过期")

    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="keys",
        verbose_name=_("合作方"),
    )
    label = models.CharField(
        _("用途"), max_length=80, blank=True, help_text=_("如“官网订阅”“客户端”")
    )
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    feeds = models.ManyToManyField(
        "feeds.FeedDefinition", verbose_name=_("可读订阅源"), related_name="keys"
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        _("每分钟请求上限"), default=60, validators=[MinValueValidator(1)]
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(
        _("到期时间"), null=True, blank=True, help_text=_("留空表示长期有效")
    )
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 密钥")
        verbose_name_plural = _("API 密钥")
        ordering = ["partner", "-created_at"]

    def __str__(self) -> str:
        return f"{self.partner} · {self.display_prefix}"

    @property
    def display_prefix(self) -> str:
        return f"{KEY_PREFIX}{self.prefix}…"

    @classmethod
    def issue(
        cls, partner: Partner, feeds, clear: str | None = None, **fields
    ) -> tuple["ApiKey", str]:
        """A new key for the partner, readable feeds set; (key, clear key)."""
        key = cls(partner=partner, **fields)
        clear = key.assign_key(clear)
        key.save()
        key.feeds.set(feeds)
        return key, clear

    def assign_key(self, clear: str | None = None) -> str:
        """Give this (unsaved) key a secret; returns it in clear, the only
        time it is available."""
        clear = clear or new_clear_key()
        self.prefix = clear[len(KEY_PREFIX) :][:PREFIX_CHARS]
        self.key_hash = hash_key(clear)
        return clear

    def status_at(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    def get_status_display(self) -> str:
        return self.Status(self.status).label


class PullLog(models.Model):
    partner = models.ForeignKey(
        Partner,
        on_delete=models.SET_NULL,
        null=True,
        related_name="pulls",
        verbose_name=_("合作方"),
    )
    key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, verbose_name=_("密钥")
    )
    feed = models.ForeignKey(
        "feeds.FeedDefinition",
        on_delete=models.SET_NULL,
        null=True,
        verbose_name=_("订阅源"),
    )
    path = models.CharField(_("地址"), max_length=300)  # the key masked
    at = models.DateTimeField(_("时间"), db_index=True)
    status = models.PositiveSmallIntegerField(_("状态码"))
    bytes = models.PositiveBigIntegerField(_("字节数"), default=0)
    user_agent = models.CharField(_("客户端"), max_length=300, blank=True)
    # The page ids of the items a successful answer carried (empty for pulls
    # logged before they were recorded): the reach ledger's items delivered.
    items = models.JSONField(_("送达条目"), default=list, blank=True)

    class Meta:
        verbose_name = _("拉取记录")
        verbose_name_plural = _("拉取记录")
        ordering = ["-at"]
        indexes = [models.Index(fields=["partner", "at"])]


class ReportedFigure(models.Model):
    """A partner's own figure for an item it carried on one day (reads on
    its site, plays in its app), sent through the partner API; sending it
    again replaces it. The reach ledger takes it up as imported."""

    owner_path = "partner__owner"  # cms.scoped_admin

    class Metric(models.TextChoices):
        READS = "reads", _("阅读")
        PLAYS = "plays", _("播放")
        LIKES = "likes", _("点赞")
        SHARES = "shares", _("转发")
        COMMENTS = "comments", _("评论")

    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="figures",
        verbose_name=_("合作方"),
    )
    page = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("内容"),
    )
    day = models.DateField(_("日期"))
    metric = models.CharField(_("指标"), max_length=12, choices=Metric.choices)
    value = models.PositiveBigIntegerField(_("数值"))
    reported_at = models.DateTimeField(_("报送时间"), db_index=True)

    class Meta:
        verbose_name = _("合作方报送数据")
        verbose_name_plural = _("合作方报送数据")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "page", "day", "metric"], name="one_figure_a_day"
            )
        ]
