"""科普大屏: screen groups by tier, screens paired by code, playlists resolved
down the tree (see screens.playlist for the rules), emergency
items, and what the screens report back."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, PageChooserPanel
from wagtail.models import Orderable

from cms.generations import Generation
from cms.organisations import owner_field
from cms.trees import TierTree
from screens.widgets import DayPartsWidget


def every_day_opening_hours() -> list[dict]:
    return [{"days": [1, 2, 3, 4, 5, 6, 7], "start": "08:00", "end": "20:00"}]


def day_parts_problem(parts) -> str:
    """Why a day-parts (or opening-hours) list is malformed, or ""."""
    from screens.schedule import parse_day_parts

    try:
        parse_day_parts(parts)
    except ValueError as error:
        return str(error)
    return ""


class ScreenGroup(TierTree, ClusterableModel):
    owner_path = "owner"  # cms.scoped_admin
    noun = _("分组")

    class Tier(models.IntegerChoices):
        PROVINCE = 1, _("省")
        CITY = 2, _("市")
        COUNTY = 3, _("县")
        SITE = 4, _("站点")

    name = models.CharField(_("名称"), max_length=80)
    tier = models.PositiveSmallIntegerField(_("层级"), choices=Tier.choices)
    owner = owner_field("screen_groups")
    outlet = models.OneToOneField(
        "channels.Outlet",
        verbose_name=_("渠道账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="screen_group",
    )
    operator = models.CharField(_("运营单位"), max_length=120)
    contact_name = models.CharField(_("责任人"), max_length=40)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    # For the reach ledger's 覆盖人次: people passing while a card plays.
    footfall_per_hour = models.PositiveIntegerField(
        _("人流量估计"),
        null=True,
        blank=True,
        help_text=_("开放时段每小时经过屏前的人数；不填则覆盖人次记为缺失"),
    )
    footfall_source = models.CharField(
        _("人流量来源"),
        max_length=120,
        blank=True,
        help_text=_("如「2026 年 5 月站点人工计数」"),
    )
    hidden_items = models.ManyToManyField(
        "PlaylistItem",
        verbose_name=_("隐藏的上级播放项"),
        blank=True,
        related_name="hidden_in",
        help_text=_("只能隐藏上级允许下级隐藏的播放项"),
    )

    class Meta:
        verbose_name = _("大屏分组")
        verbose_name_plural = _("大屏分组")
        ordering = ["tier", "name"]

    def __str__(self) -> str:
        return f"{self.get_tier_display()}·{self.name}"


class Screen(models.Model):
    owner_path = "group__owner"  # cms.scoped_admin

    class Orientation(models.TextChoices):
        LANDSCAPE = "landscape", _("横屏")
        PORTRAIT = "portrait", _("竖屏")

    name = models.CharField(_("名称"), max_length=80)
    group = models.ForeignKey(
        ScreenGroup,
        verbose_name=_("分组"),
        on_delete=models.PROTECT,
        related_name="screens",
    )
    location = models.CharField(_("位置"), max_length=200, blank=True)
    orientation = models.CharField(
        _("方向"),
        max_length=10,
        choices=Orientation.choices,
        default=Orientation.LANDSCAPE,
    )
    width = models.PositiveIntegerField(_("宽（像素）"), default=1920)
    height = models.PositiveIntegerField(_("高（像素）"), default=1080)
    opening_hours = models.JSONField(
        _("开放时间"), default=every_day_opening_hours, blank=True
    )
    token_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)
    paired_at = models.DateTimeField(_("配对时间"), null=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最近心跳"), null=True, editable=False)
    player_version = models.CharField(max_length=40, blank=True, editable=False)
    # Remote care: what the latest heartbeat said (screens.health), and
    # whether commands wait for the player (screens.commands).
    storage_used_bytes = models.PositiveBigIntegerField(null=True, editable=False)
    storage_free_bytes = models.PositiveBigIntegerField(null=True, editable=False)
    player_started_at = models.DateTimeField(null=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, editable=False)
    commands_waiting = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("大屏")
        verbose_name_plural = _("大屏")
        ordering = ["group", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if problem := day_parts_problem(self.opening_hours):
            raise ValidationError({"opening_hours": problem})

    @property
    def is_paired(self) -> bool:
        return bool(self.token_hash) and self.revoked_at is None


class PairingRequest(models.Model):
    """A code a player shows until an operator claims it for a screen; the
    raw token waits here only until the player picks it up once."""

    code = models.CharField(max_length=6, unique=True)
    secret_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    screen = models.ForeignKey(
        Screen, null=True, on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class ScreenCommand(models.Model):
    """An operator's command to one screen (screens.commands): issued in the
    admin, fetched by the player on its poll, acknowledged by it. A
    screenshot command carries the JPEG the player uploaded. Kept
    commands.KEEP_DAYS days, files included."""

    class Kind(models.TextChoices):
        SCREENSHOT = "screenshot", _("截图")
        RELOAD = "reload", _("立即刷新")
        CLEAR_CACHE = "clear_cache", _("清除缓存")

    class State(models.TextChoices):
        PENDING = "pending", _("待下发")
        SENT = "sent", _("已下发")
        ACKNOWLEDGED = "acknowledged", _("已确认")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期")

    screen = models.ForeignKey(
        Screen,
        verbose_name=_("大屏"),
        on_delete=models.CASCADE,
        related_name="commands",
    )
    kind = models.CharField(_("命令"), max_length=20, choices=Kind.choices)
    state = models.CharField(
        _("状态"), max_length=20, choices=State.choices, default=State.PENDING
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下发人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("下发时间"), db_index=True)
    expires_at = models.DateTimeField(_("过期时间"))
    sent_at = models.DateTimeField(_("送达时间"), null=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True)
    error = models.TextField(_("错误"), blank=True)
    screenshot = models.FileField(_("截图"), blank=True)

    class Meta:
        verbose_name = _("大屏命令")
        verbose_name_plural = _("大屏命令")
        ordering = ["-issued_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "expires_at"], name="command_state_expiry")
        ]

    def __str__(self) -> str:
        return f"{self.screen} · {self.get_kind_display()}"


class PlaylistItem(Orderable):
    class Kind(models.TextChoices):
        VIDEO = "video", _("视频")
        CARD = "card", _("文章卡片")
        IMAGE = "image", _("图片")

    group = ParentalKey(ScreenGroup, related_name="playlist_items")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    title = models.CharField(
        _("标题"), max_length=80, blank=True, help_text=_("留空时使用内容的标题")
    )
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("内容"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("图片"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    duration_seconds = models.PositiveIntegerField(_("时长（秒）"), default=15)
    starts_on = models.DateField(_("开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    day_parts = models.JSONField(_("时段"), default=list, blank=True)
    campaign = models.ForeignKey(
        "cms.Campaign",
        verbose_name=_("主题活动"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(
        _("加入时间"), null=True, default=timezone.now, editable=False
    )  # null for the items that existed before it was kept
    locked = models.BooleanField(
        _("下级不可隐藏"),
        default=True,
        help_text=_("取消勾选后，下级分组可以在自己的轮播中隐藏这一项"),
    )

    panels = [
        FieldRowPanel(
            [
                FieldPanel("kind"),
                FieldPanel(
                    "duration_seconds",
                    help_text=_(
                        "图片和文章卡片显示这么久；视频完整播放一遍，按视频本身的时长计"
                    ),
                ),
            ]
        ),
        PageChooserPanel("page", page_type=["cms.VideoPage", "cms.ArticlePage"]),
        FieldPanel("image"),
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
        FieldPanel(
            "day_parts",
            widget=DayPartsWidget,
            help_text=_("可设多个时段；结束早于开始表示跨过午夜；不设时段则全天播放"),
        ),
        FieldPanel("campaign"),
        FieldPanel("locked"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("播放项")
        verbose_name_plural = _("播放项")

    def __str__(self) -> str:
        return self.title or (self.page.title if self.page else str(self.image))

    def clean(self) -> None:
        errors = {}
        if self.kind == self.Kind.IMAGE and not self.image_id:
            errors["image"] = _("图片播放项需要选择图片")
        if self.kind != self.Kind.IMAGE and not self.page_id:
            errors["page"] = _("视频和文章卡片需要选择内容")
        if self.kind == self.Kind.VIDEO and self.page_id:
            if not hasattr(self.page.specific, "video"):
                errors["page"] = _("视频播放项只能选择科普视频")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("结束日期不能早于开始日期")
        if problem := day_parts_problem(self.day_parts):
            errors["day_parts"] = problem
        if errors:
            raise ValidationError(errors)


class EmergencyItem(models.Model):
    owner_path = "group__owner"  # cms.scoped_admin
    group = models.ForeignKey(
        ScreenGroup,
        verbose_name=_("覆盖分组"),
        on_delete=models.CASCADE,
        related_name="emergencies",
    )
    title = models.CharField(_("标题"), max_length=80)
    message = models.TextField(_("内容"), blank=True)
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("内容"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("图片"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    duration_seconds = models.PositiveIntegerField(_("时长（秒）"), default=20)
    alert = models.ForeignKey(
        "cms.SiteAlert",
        verbose_name=_("全渠道应急通知"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("应急科普")
        verbose_name_plural = _("应急科普")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("结束时间必须晚于开始时间")})

    def is_active(self, now) -> bool:
        return self.cancelled_at is None and self.starts_at <= now < self.ends_at


class EmergencyConfirmation(models.Model):
    emergency = models.ForeignKey(
        EmergencyItem, on_delete=models.CASCADE, related_name="confirmations"
    )
    screen = models.ForeignKey(Screen, on_delete=models.CASCADE, related_name="+")
    confirmed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["emergency", "screen"], name="one_confirmation_per_screen"
            )
        ]


class AdvisoryConfirmation(models.Model):
    """A screen took the loop that a correction or withdrawal (cms.Advisory)
    changed: after the advisory, its heartbeat named the loop the server
    sends it now (screens/advisories.py)."""

    advisory = models.ForeignKey(
        "cms.Advisory", on_delete=models.CASCADE, related_name="+"
    )
    screen = models.ForeignKey(Screen, on_delete=models.CASCADE, related_name="+")
    loop = models.CharField(max_length=80)  # the playlist's ETag it reported
    confirmed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["advisory", "screen"], name="one_advisory_confirmation"
            )
        ]


class Heartbeat(models.Model):
    """One per screen per minute the screen was on: the minute a heartbeat
    was taken in (live, or queued by a player while offline and sent later),
    or a minute a reported play covered (screens.telemetry). Raw: rolled up
    daily into ScreenDayRollup and deleted after SCREENS_RAW_RETENTION_DAYS
    (screens.rollups)."""

    # Looked up by screen through the unique constraint; by time (roll-ups,
    # retention, today's report) through the index on `minute`.
    screen = models.ForeignKey(
        Screen, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    minute = models.DateTimeField(db_index=True)
    playing_item = models.PositiveBigIntegerField(null=True)
    storage_free_bytes = models.PositiveBigIntegerField(null=True)
    errors = models.JSONField(default=list, blank=True)
    # When the minute first reached the server: long after it, the minute
    # was reported late (screens.minutes). Empty only for rows written
    # straight to the table, which count as on time.
    received_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["screen", "minute"], name="one_heartbeat_per_minute"
            )
        ]


class PlayRecord(models.Model):
    """Proof of play: one item played on one screen, sent by the player with
    its own id so that a batch sent twice is stored once. Raw: rolled up daily
    into PlayDayRollup and deleted after SCREENS_RAW_RETENTION_DAYS
    (screens.rollups)."""

    play_id = models.UUIDField(unique=True)
    screen = models.ForeignKey(Screen, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(
        PlaylistItem, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    emergency = models.ForeignKey(
        EmergencyItem, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.ForeignKey(
        "cms.Campaign", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(db_index=True)
    seconds = models.FloatField()
    received_at = models.DateTimeField(auto_now_add=True)


class RolledUpDay(models.Model):
    """A finished local day whose heartbeats and plays are rolled up; stale
    when plays for it arrived afterwards (a player that was offline), until
    it is rolled up again."""

    day = models.DateField(unique=True)
    rolled_up_at = models.DateTimeField()
    stale = models.BooleanField(default=False)


class ScreenDayRollup(models.Model):
    """One screen's local day, settled as the 开机率/使用率 report reads it
    (screens.minutes): kept for ever. No row: no minutes that day."""

    screen = models.ForeignKey(Screen, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    opening = models.PositiveIntegerField()  # opening minutes in service
    beats = models.PositiveIntegerField()  # heartbeats that day
    inside = models.PositiveIntegerField()  # of them inside the opening hours
    played_seconds = models.FloatField()  # plays started inside opening hours
    late = models.PositiveIntegerField(default=0)  # of `inside`, reported late

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "screen"], name="one_screen_day")
        ]


class PlayDayRollup(models.Model):
    """One screen's plays of one source (item or emergency, page, campaign) on
    a local day, as the plays per item and campaign read them
    (screens.report_plays): kept for ever."""

    screen = models.ForeignKey(Screen, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(db_index=True)
    item = models.ForeignKey(
        PlaylistItem, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    emergency = models.ForeignKey(
        EmergencyItem, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.ForeignKey(
        "cms.Campaign", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    plays = models.PositiveIntegerField()
    seconds = models.FloatField()


class LoopGeneration(Generation):
    """Bumped for playlist items, groups, emergencies, media, images,
    renditions and campaigns: what a screen's loop shows (loops.py)."""

    class Meta:
        verbose_name = _("轮播版本")
        verbose_name_plural = _("轮播版本")


class ScreenGeneration(Generation):
    """Bumped on every change to a screen's row (name, group, size, hours,
    the commands flag, revocation) or a group's (its place in the tree):
    what the fast path (fast_path.py) knows of screens is kept under it."""

    class Meta:
        verbose_name = _("屏幕版本")
        verbose_name_plural = _("屏幕版本")


class PlayerRelease(models.Model):
    """An immutable copy of the player (screens.releases): player.js,
    player.css, sw.js and the page template, with the page's messages as
    written in the code (translated when served), under the digest of them
    all. Recorded at each deploy; the fleet runs the default one, a pinned
    group another (screens.rollout)."""

    version = models.CharField(_("版本"), max_length=40, unique=True, editable=False)
    files = models.JSONField(editable=False)  # file name → text
    messages = models.JSONField(editable=False)  # key → message as in the code
    recorded_at = models.DateTimeField(_("记录时间"), editable=False)
    is_default = models.BooleanField(_("默认版本"), default=False, editable=False)
    promoted_at = models.DateTimeField(_("设为默认时间"), null=True, editable=False)

    class Meta:
        verbose_name = _("播放器版本")
        verbose_name_plural = _("播放器版本")
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_player_release",
            )
        ]

    def __str__(self) -> str:
        return self.version


class PlayerReleasePin(models.Model):
    """A group (and every group under it, down to the nearest pin of its
    own) runs this release instead of the default."""

    group = models.OneToOneField(
        ScreenGroup,
        verbose_name=_("分组"),
        on_delete=models.CASCADE,
        related_name="player_release_pin",
    )
    release = models.ForeignKey(
        PlayerRelease,
        verbose_name=_("播放器版本"),
        on_delete=models.PROTECT,
        related_name="pins",
    )
    pinned_at = models.DateTimeField(_("固定时间"))

    class Meta:
        verbose_name = _("播放器版本固定")
        verbose_name_plural = _("播放器版本固定")

    def __str__(self) -> str:
        return str(self.group)
