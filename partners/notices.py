"""更正 and 撤回 reach the partners that took the item.

When cms announces an advisory (cms.advisories.advisory_issued), a task is
enqueued once the transaction commits (notify_partners). It finds every
partner whose pull log shows it took the item, and records one
AdvisoryRecipient per partner (channel "partners") through
channels.advisories.record_and_send, whose sender (tell_partner) uses the
partner's notice method: a signed webhook (delivered on a 2xx answer), an
e-mail to its contact address (sent), or, with none set, a pending row
telling the editor to call.

"Took the item" is read from the pull log (partners.models.PullLog), and
only pulls made with a partner's key count (a keyless pull of a public feed
names no one). A partner took the item when, at or after the moment the
item entered what it pulled and at or before the advisory, it had a
successful pull (status 200) of
- a feed (any format, any page) whose selection includes the item;
- the partner API's item list (any page, any `?feed=`) with a key one of
  whose feeds includes the item; or
- the partner API's item endpoint for this item.
"Includes" is the feed's selection as it stands at the advisory, over the
item whether or not it is still live (feeds.selection.selection), and
"entered" is its publication, or for an outlet feed its placement there
coming due. Pulls logged before the log kept each answer's items say
nothing of them, so the rule stays the selection's: a pull of a feed whose
current page no longer listed the item (it had slipped to page 2) still
counts, and a partner may be told of an item it skipped, never left untold
of one it took."""

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django_tasks import task

from channels.advisories import (
    advisory_payload,
    advisory_subject,
    advisory_text,
    record_and_send,
)
from channels.base import Recipient
from channels.delivery import post_signed, send_email
from channels.models import AdvisoryRecipient
from cms.advisories import Advisory
from feeds.items import item_guid
from feeds.models import FeedDefinition
from partners.models import Partner, PullLog
from partners.scope import held_by

CHANNEL = "partners"
SENDER = "partners.notices.tell_partner"
State = AdvisoryRecipient.State


def on_advisory_issued(sender, advisory: Advisory, **kwargs) -> None:
    advisory_id = advisory.pk
    transaction.on_commit(lambda: notify_partners.enqueue(advisory_id))


@task()
def notify_partners(advisory_id: int) -> int:
    """Record and tell each partner that took the item; returns how many
    were recorded. Safe to run again: a partner is recorded once."""
    advisory = Advisory.objects.get(pk=advisory_id)
    recipients = [recipient_of(partner) for partner in partners_that_took(advisory)]
    return len(record_and_send(advisory, CHANNEL, recipients))


def exact_path(path: str) -> Q:
    return Q(path=path) | Q(path__startswith=f"{path}?")


def partners_that_took(advisory: Advisory) -> list[Partner]:
    """The partners whose pull log shows they took the item (the rule in the
    module docstring)."""
    if advisory.page_id is None:
        return []
    feeds = list(FeedDefinition.objects.all())
    took = Q(pk__in=[])
    for feed in feeds:
        entered = held_by([feed], {advisory.page_id}, advisory.at).get(advisory.page_id)
        if entered is None or entered > advisory.at:
            continue
        items_list = exact_path(reverse("partner_api:items")) & Q(key__feeds=feed)
        took |= (Q(feed=feed) | items_list) & Q(at__gte=entered)
    item_path = reverse("partner_api:item", args=[advisory.page_id])
    went_live = advisory.page.first_published_at if advisory.page else None
    if went_live is not None:
        took |= exact_path(item_path) & Q(at__gte=went_live)
    pulls = PullLog.objects.filter(
        took, status=200, at__lte=advisory.at, partner__isnull=False
    )
    return list(Partner.objects.filter(pk__in=pulls.values("partner_id")))


def recipient_of(partner: Partner) -> Recipient:
    return Recipient(
        name=partner.name,
        reference=f"partner:{partner.pk}",
        sent=str(partner.Notice(partner.notice_method).label),
        sender=SENDER,
        organisation=partner.owner,
    )


def partner_payload(advisory: Advisory) -> dict:
    """The channels' advisory payload, with the item's GUID as the feeds and
    the partner API give it."""
    payload = advisory_payload(advisory)
    payload["advisory"]["item"]["guid"] = item_guid(advisory.page_id)
    return payload


def tell_partner(row: AdvisoryRecipient) -> tuple[str, str]:
    """Send one partner its notice the way it chose."""
    partner_id = int(row.reference.removeprefix("partner:"))
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None:
        return State.CANCELLED, gettext("合作方已删除")
    advisory = row.advisory
    if partner.notice_method == Partner.Notice.WEBHOOK:
        detail = post_signed(
            partner.notice_url,
            partner.notice_secret,
            partner_payload(advisory),
            f"advisory-{advisory.pk}-partner-{partner.pk}",
        )
        return State.DELIVERED, detail
    if partner.notice_method == Partner.Notice.EMAIL:
        detail = send_email(
            [partner.contact_email],
            advisory_subject(advisory),
            advisory_text(advisory, partner.name),
            f"advisory-{advisory.pk}-partner-{partner.pk}",
        )
        return State.SENT, detail
    message = gettext(
        "该合作方未设置通知方式：请联系 %(contact)s（%(phone)s）告知此事，"
        "再标记为已确认"
    ) % {"contact": partner.contact_name, "phone": partner.contact_phone or "-"}
    return State.PENDING, message
