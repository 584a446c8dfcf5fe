"""Taxonomy snippets that every content item carries."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.search import index


class Topic(index.Indexed, models.Model):
    name = models.CharField(_("名称"), max_length=60, unique=True)
    slug = models.SlugField(_("标识"), max_length=60, unique=True, allow_unicode=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级主题"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("parent")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        verbose_name = _("主题")
        verbose_name_plural = _("主题")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError({"parent": _("主题不能成为自己的上级")})
            ancestor = ancestor.parent


class Audience(models.Model):
    name = models.CharField(_("名称"), max_length=40, unique=True)
    slug = models.SlugField(_("标识"), max_length=40, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("sort_order")]

    class Meta:
        verbose_name = _("目标人群")
        verbose_name_plural = _("目标人群")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    name = models.CharField(_("名称"), max_length=60)
    slug = models.SlugField(_("标识"), max_length=60, unique=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    description = models.TextField(_("说明"), blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("start_date"),
        FieldPanel("end_date"),
        FieldPanel("description"),
    ]

    class Meta:
        verbose_name = _("活动/主题日")
        verbose_name_plural = _("活动/主题日")
        ordering = ["start_date"]

    def __str__(self) -> str:
        return f"{self.name}（{self.start_date:%Y-%m-%d}）"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("结束日期不能早于开始日期")})


class Expert(index.Indexed, models.Model):
    name = models.CharField(_("姓名"), max_length=40)
    field = models.CharField(_("专业领域"), max_length=80)
    organisation = models.CharField(_("工作单位"), max_length=120)
    title = models.CharField(_("职称"), max_length=60, blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("field"),
        FieldPanel("organisation"),
        FieldPanel("title"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        verbose_name = _("科普专家")
        verbose_name_plural = _("科普专家")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "organisation"], name="unique_expert_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.organisation}）"
