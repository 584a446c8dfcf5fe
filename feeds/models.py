"""Feed definitions: what a feed selects and who may read it. Each definition
is served in every format (RSS, Atom, JSON Feed, podcast, Media RSS)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from channels.registry import channel_choices
from cms.generations import Generation
from cms.organisations import owner_field


class FeedDefinition(models.Model):
    owner_path = "owner"  # cms.scoped_admin

    class Access(models.TextChoices):
        PUBLIC = "public", _("公开")
        PARTNER = "partner", _("需合作方密钥")

    class ContentType(models.TextChoices):
        ARTICLE = "article", _("科普文章")
        VIDEO = "video", _("科普视频")
        EPISODE = "episode", _("专栏单期")

    slug = models.SlugField(_("标识"), max_length=60, unique=True)
    title = models.CharField(_("标题"), max_length=120)
    owner = owner_field("feeds")
    description = models.TextField(_("说明"), blank=True)
    outlets = models.ManyToManyField(
        "channels.Outlet", verbose_name=_("渠道账号/栏目"), blank=True
    )
    channels = models.JSONField(
        _("渠道"),
        default=list,
        blank=True,
        help_text=_("渠道标识列表，如 newspaper、radio；留空表示不按渠道筛选"),
    )
    topics = models.ManyToManyField("cms.Topic", verbose_name=_("主题"), blank=True)
    audiences = models.ManyToManyField(
        "cms.Audience", verbose_name=_("受众"), blank=True
    )
    campaigns = models.ManyToManyField(
        "cms.Campaign", verbose_name=_("主题活动"), blank=True
    )
    content_types = models.JSONField(
        _("内容类型"),
        default=list,
        blank=True,
        help_text=_("留空表示全部：article、video、episode"),
    )
    item_count = models.PositiveSmallIntegerField(_("条目数"), default=50)
    full_text = models.BooleanField(_("包含全文"), default=True)
    access = models.CharField(
        _("访问"), max_length=10, choices=Access.choices, default=Access.PARTNER
    )
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("订阅源")
        verbose_name_plural = _("订阅源")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.access == self.Access.PUBLIC

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.content_types, list) or any(
            kind not in self.ContentType.values for kind in self.content_types
        ):
            errors["content_types"] = _("内容类型只能是 article、video、episode")
        known = {key for key, _label in channel_choices()}
        if not isinstance(self.channels, list) or any(
            key not in known for key in self.channels
        ):
            errors["channels"] = _("未知的渠道：可选 %(keys)s") % {
                "keys": "、".join(sorted(known))
            }
        if self.item_count < 1:
            errors["item_count"] = _("条目数至少为 1")
        if errors:
            raise ValidationError(errors)


class FeedGeneration(Generation):
    """Bumped for placements, media files, taxonomy and feed selections."""

    class Meta:
        verbose_name = _("订阅源版本")
        verbose_name_plural = _("订阅源版本")
