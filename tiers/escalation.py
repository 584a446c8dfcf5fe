"""Overdue 签收: a task not acknowledged by its deadline is reminded to its
organisation (contact and staff) once; if still not acknowledged one more
window later (an 应急科普 task: at once), it is reported to the organisation
above. Run by the scheduler
every round; a conditional update claims each task, so several workers send
each message once. Both dashboards show overdue tasks whether or not mail
could be sent."""

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from cms.organisations import Organisation
from cms.public_address import public_url
from tiers.models import PackageTask

logger = logging.getLogger(__name__)


def addresses(organisation: Organisation | None) -> list[str]:
    if organisation is None:
        return []
    staff = get_user_model().objects.filter(
        is_active=True, groups__organisations=organisation
    )
    found = {organisation.contact_email, *staff.values_list("email", flat=True)}
    return sorted(address for address in found if address)


def claim(task: PackageTask, field: str, now: datetime) -> bool:
    return bool(
        PackageTask.objects.filter(pk=task.pk, **{field: None}).update(**{field: now})
    )


def notify(recipients: list[str], subject: str, body: str) -> None:
    if not recipients:
        return
    try:
        send_mail(subject, body, None, recipients)
    except OSError:
        logger.exception("package reminder not sent to %s", recipients)


def task_link(task: PackageTask) -> str:
    return public_url(reverse("package_tasks:task", args=(task.pk,)))


def remind(task: PackageTask) -> None:
    names = {"package": task.package.title, "organisation": task.organisation.name}
    notify(
        addresses(task.organisation),
        _("【待签收】资源包「%(package)s」已过签收期限") % names,
        _("%(organisation)s：资源包「%(package)s」已过签收期限，请尽快签收：") % names
        + "\n"
        + task_link(task),
    )


def escalate(task: PackageTask) -> None:
    names = {"package": task.package.title, "organisation": task.organisation.name}
    notify(
        addresses(task.organisation.parent),
        _("【逾期未签收】%(organisation)s 未签收资源包「%(package)s」") % names,
        _("下级单位 %(organisation)s 催办后仍未签收资源包「%(package)s」，请督促：")
        % names
        + "\n"
        + task_link(task),
    )


def remind_overdue(now: datetime) -> None:
    waiting = PackageTask.objects.filter(acknowledged_at=None).select_related(
        "package", "organisation__parent"
    )
    for task in waiting.filter(reminded_at=None, acknowledge_by__lt=now):
        if claim(task, "reminded_at", now):
            remind(task)
    reminded = waiting.filter(escalated_at=None, reminded_at__isnull=False)
    for task in reminded:  # between reminder and escalation: few
        if escalation_due(task) < now and claim(task, "escalated_at", now):
            escalate(task)


def escalation_due(task: PackageTask) -> datetime:
    """One more window after the deadline; an 应急科普 task goes to the
    parent as soon as its deadline is missed."""
    if task.package.is_emergency:
        return task.acknowledge_by
    return task.acknowledge_by + task.package.acknowledge_window
