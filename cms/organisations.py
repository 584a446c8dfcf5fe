"""Organisations (单位): the offices from province to site, as a tree. Each
owns its outlets, screen groups, partners and feeds; its staff are the
members of its Wagtail groups, and they work on what their organisation and
those below it own. A province's editor sees everything below it; a county's
only its own and its sites'.

Every installation has a root organisation (the migration that made this
model named it 本级单位): what existed before organisations belongs to it,
and so does whatever is made without an owner."""

from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cms.trees import TierTree

ROOT_NAME = "本级单位"


class Organisation(TierTree):
    owner_path = ""  # cms.scoped_admin
    noun = _("单位")

    class Tier(models.IntegerChoices):
        PROVINCE = 1, _("省")
        CITY = 2, _("市")
        COUNTY = 3, _("县/区")
        SITE = 4, _("乡镇/站点")

    name = models.CharField(_("名称"), max_length=80)
    tier = models.PositiveSmallIntegerField(_("层级"), choices=Tier.choices)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    staff_groups = models.ManyToManyField(
        Group,
        verbose_name=_("本单位人员的用户组"),
        blank=True,
        related_name="organisations",
        help_text=_("这些用户组的成员在本单位及其下级单位的范围内工作"),
    )

    sections = models.ManyToManyField(
        "wagtailcore.Page",
        verbose_name=_("本单位栏目"),
        blank=True,
        related_name="organisations",
        help_text=_(
            "本单位及上级单位的人员可以在这些页面下撰写和修改内容"
            "（发布仍须通过科学审核）"
        ),
    )
    collection = models.ForeignKey(
        "wagtailcore.Collection",
        verbose_name=_("本单位素材库"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("本单位及上级单位的人员可以在这里上传、修改和选用图片、文档和媒体"),
    )

    reviewers = models.ForeignKey(
        Group,
        verbose_name=_("本单位科学审核人员组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviews_for",
        help_text=_(
            "本单位栏目的内容由这个用户组的成员做科学审核；"
            "不设置时，由最近一个设置了审核人员的上级单位审核"
        ),
    )
    # The organisation's own 科学审核 workflow (cms.organisation_review),
    # made when it is first given reviewers.
    review_workflow = models.OneToOneField(
        "wagtailcore.Workflow",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="organisation_name_unique_in_parent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()}·{self.name}"


def root_organisation() -> Organisation:
    """The oldest organisation at the top of the tree (made if there is
    none, as the migration makes it)."""
    return Organisation.objects.get(pk=root_organisation_id())


def root_organisation_id() -> int:
    """The default owner of anything made without one. Reads the id alone:
    migrations that add an owner field call it on the table as it was."""
    roots = Organisation.objects.filter(parent=None).order_by("pk")
    pk = roots.values_list("pk", flat=True).first()
    if pk is None:
        pk = Organisation.objects.create(name=ROOT_NAME, tier=1).pk
    return pk


def own_organisations(user) -> QuerySet[Organisation]:
    """The organisations whose staff the user is (through their groups)."""
    return Organisation.objects.filter(staff_groups__user=user).distinct()


class Scope:
    """What a user works on: everything (a superuser), or what their own
    organisations and those below them own."""

    def __init__(self, paths: list[str] | None) -> None:
        self.paths = paths  # None: everything

    @classmethod
    def of(cls, user) -> "Scope":
        if user.is_superuser:
            return cls(None)
        return cls(list(own_organisations(user).values_list("path", flat=True)))

    @property
    def everything(self) -> bool:
        return self.paths is None

    def q(self, owner: str = "owner") -> Q:
        """The rows whose `owner` (an Organisation foreign key, followed
        through relations as in filter()) is in the scope."""
        if self.paths is None:
            return Q()
        lookup = f"{owner}__path__startswith" if owner else "path__startswith"
        allowed = Q(pk__in=[])
        for path in self.paths:
            allowed |= Q(**{lookup: path})
        return allowed

    def filter(self, queryset: QuerySet, owner: str = "owner") -> QuerySet:
        return queryset.filter(self.q(owner))

    def organisations(self) -> QuerySet[Organisation]:
        """The organisations the user may choose as an owner."""
        return self.filter(Organisation.objects.all(), owner="")

    def covers(self, organisation: Organisation | None) -> bool:
        if self.paths is None:
            return True
        return organisation is not None and any(
            organisation.path.startswith(path) for path in self.paths
        )


EVERYTHING = Scope(None)  # what a superuser sees; reports default to it


def owner_field(related_name: str) -> models.ForeignKey:
    """The organisation a row belongs to (the root's unless chosen); an
    organisation that still owns rows cannot be deleted."""
    return models.ForeignKey(
        Organisation,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        default=root_organisation_id,
        related_name=related_name,
    )
