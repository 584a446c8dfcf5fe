"""更正 and 撤回: what put right or took back an item that had gone out.

A correction is a reviewed revision of a live item that adds a correction
note (the page's `corrections` stream: what was wrong, what is right); when
such a revision goes live, each new note becomes one correction advisory. A
withdrawal is the item leaving the site while it was live — unpublished in
the admin, by `page.unpublish()` in code, or at its expiry time; the reason
travels as `page.withdrawal_reason` when the caller sets one (see
`withdraw()`).

Each advisory is announced through the `advisory_issued` signal once its
transaction commits; the channels and products that put the item out listen
and send their own signal to the recipients that got it (channels/notices.py
records each recipient's state)."""

from urllib.parse import unquote

from django.conf import settings
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

advisory_issued = Signal()  # sender=Advisory, advisory=<Advisory>


class Advisory(models.Model):
    class Kind(models.TextChoices):
        CORRECTION = "correction", _("更正")
        WITHDRAWAL = "withdrawal", _("撤回")

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    page = models.ForeignKey(
        Page,
        verbose_name=_("内容"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="advisories",
    )
    title = models.CharField(_("标题"), max_length=255)
    public_path = models.CharField(_("网址"), max_length=500, blank=True)
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=_("版本"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note_id = models.CharField(_("更正说明编号"), max_length=40, blank=True)
    wrong = models.TextField(_("原文有误之处"), blank=True)
    right = models.TextField(_("更正为"), blank=True)
    reason = models.TextField(_("原因"), blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("更正与撤回")
        verbose_name_plural = _("更正与撤回")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["public_path", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.title}"

    @property
    def is_withdrawal(self) -> bool:
        return self.kind == self.Kind.WITHDRAWAL

    def summary(self) -> str:
        """One line for every recipient: what happened and why."""
        if self.is_withdrawal:
            line = gettext("《%(title)s》已撤回") % {"title": self.title}
            return f"{line}：{self.reason}" if self.reason else line
        return gettext("《%(title)s》更正：原文“%(wrong)s”，应为“%(right)s”") % {
            "title": self.title,
            "wrong": self.wrong,
            "right": self.right,
        }


def public_path_of(page: Page) -> str:
    """The page's address on its site, without scheme and host."""
    parts = page.get_url_parts()
    return unquote(parts[2]) if parts else ""  # as request.path has it


def issue(advisory: Advisory) -> Advisory:
    advisory.save()
    transaction.on_commit(
        lambda: advisory_issued.send(sender=Advisory, advisory=advisory)
    )
    return advisory


def on_page_unpublished(sender, instance: Page, **kwargs) -> None:
    if not getattr(instance, "is_withdrawable", False):
        return  # only science items are withdrawn; sections simply go offline
    reason = getattr(instance, "withdrawal_reason", "")
    if not reason and instance.expired:
        reason = gettext("已到下线时间")
    issue(
        Advisory(
            kind=Advisory.Kind.WITHDRAWAL,
            page=instance,
            title=instance.title,
            public_path=public_path_of(instance),
            reason=reason,
            user=getattr(instance, "withdrawn_by", None),
        )
    )


def on_page_published(sender, instance: Page, revision, **kwargs) -> None:
    """Each correction note the published revision adds, once; notes on an
    item's first publication correct nothing that went out."""
    notes = getattr(instance, "corrections", None)
    if not instance.live or not notes:
        return  # a revision scheduled to go live announces when it does
    if instance.first_published_at == instance.last_published_at:
        return
    announced = set(
        Advisory.objects.filter(
            page=instance, kind=Advisory.Kind.CORRECTION
        ).values_list("note_id", flat=True)
    )
    for note in notes:
        if note.id in announced:
            continue
        issue(
            Advisory(
                kind=Advisory.Kind.CORRECTION,
                page=instance,
                title=instance.title,
                public_path=public_path_of(instance),
                revision=revision,
                note_id=note.id,
                wrong=note.value["wrong"],
                right=note.value["right"],
                user=revision.user if revision else None,
            )
        )


def withdraw(page: Page, reason: str = "", user=None) -> None:
    """Take a live item back everywhere it went, saying why."""
    page = page.specific
    page.withdrawal_reason = reason
    page.withdrawn_by = user
    page.unpublish(user=user)


def withdrawal_of(page_id: int) -> Advisory | None:
    """The withdrawal in force for a page: its latest advisory is one and the
    page is not live again."""
    latest = Advisory.objects.filter(page_id=page_id).order_by("-at", "-pk").first()
    if latest is None or not latest.is_withdrawal:
        return None
    if Page.objects.filter(pk=page_id, live=True).exists():
        return None
    return latest


def withdrawal_at(path: str) -> Advisory | None:
    """The withdrawal in force for the page that had this address."""
    candidates = Advisory.objects.filter(
        public_path=path, kind=Advisory.Kind.WITHDRAWAL
    ).values_list("page_id", flat=True)
    for page_id in dict.fromkeys(candidates):
        if page_id is not None and (withdrawal := withdrawal_of(page_id)):
            return withdrawal
    return None


def correction_dates(page: Page) -> dict[str, object]:
    """note id → when that correction went live."""
    rows = Advisory.objects.filter(page=page, kind=Advisory.Kind.CORRECTION)
    return dict(rows.values_list("note_id", "at"))
