"""The reach ledger: how many people, plays, downloads or reads an item had
on a channel in a period, each figure with how it was had (counted from our
own records, imported from a platform's figures, or estimated from stated
inputs), where from, and how sure it is. Counted, imported and estimated
figures are kept apart and never summed together."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cms.organisations import owner_field


class ReachRecord(models.Model):
    owner_path = "organisation"  # cms.scoped_admin

    class Metric(models.TextChoices):
        READS = "reads", _("阅读")
        PLAYS = "plays", _("播放")
        DOWNLOADS = "downloads", _("下载")
        PEOPLE = "people", _("覆盖人次")
        SECONDS = "seconds", _("播放时长（秒）")
        PULLS = "pulls", _("拉取")
        ITEMS = "items", _("送达条目")
        LIKES = "likes", _("点赞")
        SHARES = "shares", _("转发")
        COMMENTS = "comments", _("评论")

    class Method(models.TextChoices):
        COUNTED = "counted", _("统计")
        IMPORTED = "imported", _("导入")
        ESTIMATED = "estimated", _("估算")

    class Confidence(models.TextChoices):
        HIGH = "high", _("高")
        MEDIUM = "medium", _("中")
        LOW = "low", _("低")

    # Names the figure: writing it again (a roll-up run twice) replaces it.
    key = models.CharField(max_length=200, unique=True, editable=False)
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("内容"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("渠道"), max_length=30)
    # Where it went, when the figure is of one outlet (a column, an
    # account) or one partner.
    outlet = models.ForeignKey(
        "channels.Outlet",
        verbose_name=_("渠道账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("合作方"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    organisation = owner_field("reach_records")
    day = models.DateField(_("日期"), db_index=True)
    metric = models.CharField(_("指标"), max_length=12, choices=Metric.choices)
    method = models.CharField(_("方法"), max_length=12, choices=Method.choices)
    # Empty when an input was missing: shown as missing, never as zero.
    value = models.PositiveBigIntegerField(_("数值"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=200)
    confidence = models.CharField(_("可信度"), max_length=8, choices=Confidence.choices)
    inputs = models.JSONField(_("计算依据"), default=dict, blank=True)
    # Indexed: the roll-ups are rebuilt for the months written since they were.
    recorded_at = models.DateTimeField(_("记录时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("传播量记录")
        verbose_name_plural = _("传播量记录")
        ordering = ["-day", "channel"]
        indexes = [
            models.Index(fields=["channel", "day"]),
            models.Index(fields=["day", "organisation"]),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} {self.get_metric_display()}"


class DailySalt(models.Model):
    """The day's random salt of the site's visitor hashes; deleted with the
    day's visits once they are counted, after which no hash can be linked
    to an address again."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)


class SiteVisit(models.Model):
    """One visitor (a salted hash of address and browser, never either)
    reading one page on one day: the raw rows the day's reads are counted
    from (reach.site_reads), deleted once they are."""

    day = models.DateField()
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE)
    visitor = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "page", "visitor"], name="one_visit_a_day"
            )
        ]


class EnclosureListen(models.Model):
    """One listener (a salted hash, reach.visitors) fetching one enclosure
    of one item on one day, with the bytes they were sent in all: the raw
    rows the day's downloads are counted from (reach.downloads), deleted
    once they are."""

    day = models.DateField()
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE)
    media = models.ForeignKey(
        settings.WAGTAILMEDIA["MEDIA_MODEL"], on_delete=models.CASCADE
    )
    listener = models.CharField(max_length=32)
    bytes = models.PositiveBigIntegerField()
    size = models.PositiveBigIntegerField()  # of the whole file

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "page", "media", "listener"],
                name="one_listen_a_day",
            )
        ]


class LedgerMark(models.Model):
    """How far a source's records have been written into the ledger (a
    moment: delivered placements, rolled-up screen days; or the last day
    written: partner pulls), so that each round writes only what is new."""

    source = models.CharField(max_length=30, unique=True)
    until = models.DateTimeField()


class MonthFigures(models.Model):
    """The figures of a month, as the reports add them up."""

    month = models.DateField()  # its first day
    organisation = models.ForeignKey(
        "cms.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    counted = models.BigIntegerField(default=0)
    imported = models.BigIntegerField(default=0)
    estimated = models.BigIntegerField(default=0)
    missing = models.IntegerField(default=0)
    engagement = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class MonthRollup(MonthFigures):
    """A month of the ledger per organisation, channel and outlet or partner
    (reach.rollups): what the reports by channel, month, organisation, tier
    and outlet read, so that they cost the same whatever the ledger holds."""

    channel = models.CharField(max_length=30)
    outlet = models.ForeignKey(
        "channels.Outlet", null=True, on_delete=models.CASCADE, related_name="+"
    )
    partner = models.ForeignKey(
        "partners.Partner", null=True, on_delete=models.CASCADE, related_name="+"
    )
    pulls = models.BigIntegerField(default=0)
    items = models.BigIntegerField(default=0)  # items first delivered

    class Meta:
        indexes = [models.Index(fields=["month", "organisation"])]


class PageMonthRollup(MonthFigures):
    """A month of the ledger per organisation and item: what the reports by
    item, campaign and audience read."""

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["month", "organisation"])]
