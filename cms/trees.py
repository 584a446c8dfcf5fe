"""Trees by tier (province → city → county → site): each row knows its
parent and, in `path`, the ids from the root down to itself, so a lineage
needs no query and a subtree one LIKE. Screen groups and organisations are
such trees."""

from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _


class TierTree(models.Model):
    """A row of a tree whose tiers grow downwards (a subclass declares
    `tier`, 1 at the root, and `noun`, what the messages call a row)."""

    noun = _("节点")

    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # "/1/5/12/": the ids from the root down to this row.
    path = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        # One transaction: what is read after the save's signals (caches
        # keyed by generations) sees the new paths too.
        with transaction.atomic():
            super().save(*args, **kwargs)
            path = f"{self.parent.path if self.parent else '/'}{self.pk}/"
            if path != self.path:
                self.repath(path)

    def repath(self, path: str) -> None:
        """Store the new lineage here and in every descendant (after a move)."""
        model = type(self)
        old, self.path = self.path, path
        model.objects.filter(pk=self.pk).update(path=path)
        if not old:
            return
        descendants = model.objects.filter(path__startswith=old).exclude(pk=self.pk)
        descendants.update(path=Concat(Value(path), Substr("path", len(old) + 1)))

    def clean(self) -> None:
        names = {"thing": self.noun}
        if self.parent and self.parent.tier >= self.tier:
            problem = _("上级%(thing)s的层级必须高于本%(thing)s") % names
            raise ValidationError({"parent": problem})
        if self.parent and self.pk and f"/{self.pk}/" in self.parent.path:
            problem = _("不能把%(thing)s移到自己的下级") % names
            raise ValidationError({"parent": problem})

    @property
    def lineage_ids(self) -> list[int]:
        """Ids from the root down to this row."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def descendants(self, include_self: bool = True):
        rows = type(self).objects.filter(path__startswith=self.path)
        return rows if include_self else rows.exclude(pk=self.pk)


Row = TypeVar("Row", bound=TierTree)


def tree_order(rows: list[Row]) -> list[Row]:
    """Parents before children, siblings by name (rows have a `name`)."""
    by_id = {row.pk: row for row in rows}

    def key(row: Row) -> list[str]:
        return [by_id[pk].name if pk in by_id else "" for pk in row.lineage_ids]

    return sorted(rows, key=key)
