"""采用 by copying: a recipient puts a package's item into its own section
(Organisation.sections) as its own page, crediting the sender. The copy is
the item as it is live, unchanged, so its review carries over
(cms.review.CarriedReview) and it goes live at once; any later edit is a
new revision that goes through the section's own 科学审核
(cms.organisation_review). The credit (source_credit) is the one field the
copy changes: it names the source, not the science. Withdrawing the
original withdraws its copies."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Page

from cms.advisories import Advisory, withdraw
from cms.pages import visible_pages
from cms.review import CarriedReview
from tiers.models import PackageCopy, PackageTask

CREDIT_LENGTH = 200  # ContentPage.source_credit


def sections_of(task: PackageTask):
    """The recipient's own sections, in tree order."""
    return task.organisation.sections.order_by("path")


def credit(original, sender_name: str) -> str:
    """「转自吉林省科协」, after the original's own credit."""
    taken = _("转自%(sender)s") % {"sender": sender_name}
    own = original.source_credit
    return (f"{own}；{taken}" if own else taken)[:CREDIT_LENGTH]


def free_slug(section: Page, slug: str) -> str:
    taken = set(section.get_children().values_list("slug", flat=True))
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def check(task: PackageTask, original: Page, section: Page) -> None:
    """ValidationError, in Chinese, naming why this copy cannot be made."""
    if not visible_pages().filter(pk=original.pk).exists():
        raise ValidationError(
            _("「%(title)s」已下线或未通过科学性审核，不能转载")
            % {"title": original.title}
        )
    if not sections_of(task).filter(pk=section.pk).exists():
        raise ValidationError(_("只能转载到本单位的栏目"))
    if not original.specific_class.can_create_at(section):
        raise ValidationError(
            _("栏目“%(section)s”下不能放%(kind)s")
            % {
                "section": section.title,
                "kind": original.specific_class._meta.verbose_name,
            }
        )
    done = task.copies.filter(original=original).select_related("copy").first()
    if done is not None:
        raise ValidationError(
            _("「%(title)s」已转载为“%(copy)s”")
            % {"title": original.title, "copy": done.copy.get_url() or done.copy.title}
        )


@transaction.atomic
def copy_into(task: PackageTask, original: Page, section: Page, user) -> PackageCopy:
    """The item, as it is live, under the section, live at once on the
    strength of the original's review."""
    original = original.specific
    check(task, original, section)
    copy = original.copy(
        to=section,
        update_attrs={
            "slug": free_slug(section, original.slug),
            "source_credit": credit(original, task.package.owner.name),
        },
        copy_revisions=False,
        keep_live=False,
        user=user,
    )
    revision = copy.save_revision(user=user, log_action=False)
    CarriedReview.objects.create(revision=revision, source=original.live_revision)
    revision.publish(user=user, skip_permission_checks=True)
    copy.refresh_from_db()
    return PackageCopy.objects.create(
        task=task,
        original=original,
        copy=copy,
        copied_at=timezone.now(),
        copied_by=user,
    )


def on_advisory_issued(sender, advisory: Advisory, **kwargs) -> None:
    """An item withdrawn leaves every section it was copied into too (each
    copy's own withdrawal then travels its own channels)."""
    if not advisory.is_withdrawal or advisory.page_id is None:
        return
    copies = PackageCopy.objects.filter(original_id=advisory.page_id, copy__live=True)
    reason = _("原内容《%(title)s》已撤回") % {"title": advisory.title}
    if advisory.reason:
        reason = f"{reason}：{advisory.reason}"
    for copy in copies.select_related("copy"):
        withdraw(copy.copy, reason=reason, user=advisory.user)
