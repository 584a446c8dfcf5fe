"""应急科普 alerts: one reviewed item that must reach every channel of an
area (an organisation and all below it) at once.

Raising an alert (`raise_alert`) announces it through `alert_raised` once
the transaction commits; each channel that can carry it listens and does
its own part: the site shows a banner on every page (templates/base.html,
the page cache follows SiteAlert), the feeds put the item first
(feeds.selection), the screens of the area take it over (screens), the
radio and newspaper outlets that accept urgent items get a placement now
(channels), and partners and the WebSub hub are told (AlertNotice rows,
one per recipient, with its state). Cancelling (`cancel_alert`) ends it
everywhere through `alert_cancelled`."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks import task
from wagtail.models import Page

from cms.organisations import Organisation

logger = logging.getLogger(__name__)

alert_raised = Signal()  # sender=SiteAlert, alert=<SiteAlert>
alert_cancelled = Signal()  # sender=SiteAlert, alert=<SiteAlert>


class SiteAlertQuerySet(models.QuerySet):
    def active(self, now: datetime | None = None) -> "SiteAlertQuerySet":
        now = now or timezone.now()
        return self.filter(
            cancelled_at__isnull=True, starts_at__lte=now, ends_at__gt=now
        )


class SiteAlert(models.Model):
    owner_path = "owner"  # cms.scoped_admin

    title = models.CharField(_("标题"), max_length=80)
    message = models.TextField(_("提示内容"), blank=True)
    page = models.ForeignKey(
        Page,
        verbose_name=_("应急科普内容"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        Organisation,
        verbose_name=_("发布单位"),
        on_delete=models.PROTECT,
        related_name="alerts",
        help_text=_("覆盖该单位及其下级的全部渠道"),
    )
    starts_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    ends_at = models.DateTimeField(_("结束时间"))
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = SiteAlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("应急通知")
        verbose_name_plural = _("应急通知")
        ordering = ["-starts_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("结束时间必须晚于开始时间")})

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.cancelled_at is None and self.starts_at <= now < self.ends_at


class AlertNotice(models.Model):
    """One recipient told of an alert outside the product (a partner's
    webhook or mailbox, the WebSub hub), with where that stands."""

    class State(models.TextChoices):
        PENDING = "pending", _("待处理")
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("失败")

    alert = models.ForeignKey(
        SiteAlert,
        verbose_name=_("应急通知"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    channel = models.CharField(_("渠道"), max_length=40)
    name = models.CharField(_("接收方"), max_length=200)
    reference = models.CharField(_("接收方编号"), max_length=80)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default=State.PENDING
    )
    detail = models.TextField(_("说明"), blank=True)
    # the function that tells this recipient: it receives the row and
    # returns (state, detail)
    sender = models.CharField(max_length=120, editable=False)
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    attempted_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("应急通知记录")
        verbose_name_plural = _("应急通知记录")
        ordering = ["alert", "channel", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "channel", "reference"], name="alert_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert} → {self.name}"


def raise_alert(alert: SiteAlert) -> SiteAlert:
    alert.full_clean()
    alert.save()
    transaction.on_commit(lambda: alert_raised.send(sender=SiteAlert, alert=alert))
    return alert


def cancel_alert(alert: SiteAlert, now: datetime | None = None) -> bool:
    """End the alert everywhere; False when it had already ended."""
    now = now or timezone.now()
    if alert.cancelled_at is not None or alert.ends_at <= now:
        return False
    alert.cancelled_at = now
    alert.save(update_fields=["cancelled_at"])
    transaction.on_commit(lambda: alert_cancelled.send(sender=SiteAlert, alert=alert))
    return True


@dataclass(frozen=True)
class NoticeRecipient:
    name: str
    reference: str  # unique within the alert's channel
    organisation: Organisation | None
    sender: str  # dotted path of the function that tells it


def record_notices(
    alert: SiteAlert, channel: str, recipients: list[NoticeRecipient]
) -> None:
    """One row per recipient (a recipient recorded before is left as it
    was); they are told by a task once the transaction commits."""
    AlertNotice.objects.bulk_create(
        [
            AlertNotice(
                alert=alert,
                channel=channel,
                name=recipient.name[:200],
                reference=recipient.reference,
                organisation=recipient.organisation,
                sender=recipient.sender,
            )
            for recipient in recipients
        ],
        ignore_conflicts=True,
    )
    if recipients:
        transaction.on_commit(lambda: send_notices.enqueue(alert.pk))


@task()
def send_notices(alert_id: int) -> int:
    """Tell every recipient of the alert not told yet; returns how many
    were told. Safe to run again: a row is sent once."""
    pending = AlertNotice.objects.filter(
        alert_id=alert_id, state=AlertNotice.State.PENDING, attempted_at=None
    )
    told = 0
    for row in pending.select_related("alert"):
        try:
            row.state, row.detail = import_string(row.sender)(row)
        except Exception as error:  # one recipient's failure must not stop the rest
            logger.exception("alert notice %s", row.pk)
            row.state, row.detail = (
                AlertNotice.State.FAILED,
                gettext("发送出错：%s") % error,
            )
        row.attempted_at = timezone.now()
        row.save(update_fields=["state", "detail", "attempted_at"])
        told += 1
    return told
