"""An 应急科普 alert (cms.alerts) told at once to the partners of its area
(those its organisation or one below it keeps), the way each chose for
notices: a signed webhook, an e-mail to its contact, or, with neither, a
row telling the editor to call. Its item is also first in every feed they
pull (feeds.selection)."""

from django.utils import timezone
from django.utils.translation import gettext

from channels.delivery import DeliveryError, post_signed, send_email
from cms.alerts import AlertNotice, NoticeRecipient, SiteAlert, record_notices
from cms.public_address import public_url
from feeds.items import item_guid
from partners.models import Partner

CHANNEL = "partners"
SENDER = "partners.alerts.tell_partner"
State = AlertNotice.State


def on_alert_raised(sender, alert: SiteAlert, **kwargs) -> None:
    partners = Partner.objects.filter(
        active=True, owner__path__startswith=alert.owner.path
    ).select_related("owner")
    recipients = [
        NoticeRecipient(partner.name, f"partner:{partner.pk}", partner.owner, SENDER)
        for partner in partners.order_by("name")
    ]
    record_notices(alert, CHANNEL, recipients)


def alert_payload(alert: SiteAlert) -> dict:
    return {
        "emergency": {
            "id": alert.pk,
            "title": alert.title,
            "message": alert.message,
            "starts_at": alert.starts_at.isoformat(),
            "ends_at": alert.ends_at.isoformat(),
            "item": {
                "id": alert.page_id,
                "guid": item_guid(alert.page_id),
                "url": public_url(alert.page.url or ""),
            },
        }
    }


def alert_text(alert: SiteAlert, partner: Partner) -> str:
    payload = alert_payload(alert)["emergency"]
    lines = [
        f"{partner.name}：",
        "",
        gettext("应急科普《%(title)s》已发布，请立即转载、置顶。")
        % {"title": alert.title},
        alert.message,
        payload["item"]["url"],
        "",
        gettext("有效期至 %(end)s")
        % {"end": f"{timezone.localtime(alert.ends_at):%Y-%m-%d %H:%M}"},
    ]
    return "\n".join(lines) + "\n"


def tell_partner(row: AlertNotice) -> tuple[str, str]:
    partner = Partner.objects.filter(pk=int(row.reference.removeprefix("partner:")))
    partner = partner.first()
    if partner is None:
        return State.FAILED, gettext("合作方已删除")
    alert = row.alert
    key = f"alert-{alert.pk}-partner-{partner.pk}"
    try:
        if partner.notice_method == Partner.Notice.WEBHOOK:
            detail = post_signed(
                partner.notice_url, partner.notice_secret, alert_payload(alert), key
            )
            return State.DELIVERED, detail
        if partner.notice_method == Partner.Notice.EMAIL:
            subject = gettext("【应急科普】%(title)s") % {"title": alert.title}
            detail = send_email(
                [partner.contact_email], subject, alert_text(alert, partner), key
            )
            return State.SENT, detail
    except DeliveryError as error:
        return State.FAILED, str(error)
    message = gettext("该合作方未设置通知方式：请电话联系 %(contact)s（%(phone)s）")
    return State.PENDING, message % {
        "contact": partner.contact_name,
        "phone": partner.contact_phone or "-",
    }
