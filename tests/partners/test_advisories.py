"""更正 and 撤回 for partners: the API says an item is withdrawn (410, when
and why) and lists the advisories since a time within the key's scope; each
partner whose pull log shows it took the item is told its own way (a signed
webhook to a real local receiver, an e-mail, or a pending row for the
editor), and a partner that never pulled it is told nothing."""

import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.utils import timezone

from channels.models import AdvisoryRecipient
from cms.advisories import Advisory, withdraw
from cms.snippets import Topic
from partners.models import ApiKey, Partner
from partners.pull_log import flush_pull_logs

ADVISORIES = "/api/partner/advisories/"
SECRET = "s3cret-for-the-hook-0123"


def correct(page, review_and_publish, wrong: str, right: str):
    note = {
        "type": "correction",
        "value": {"wrong": wrong, "right": right},
        "id": str(uuid.uuid4()),
    }
    page.corrections = [note, *page.corrections.raw_data]
    return review_and_publish(page)


@pytest.fixture
def keyed(make_feed, partner):
    """A partner feed, and a key over it (in clear) for the given partner."""
    feed = make_feed("mine", access="partner")

    def key_for(who: Partner = partner) -> str:
        return ApiKey.issue(who, [feed])[1]

    return feed, key_for


def bearer(clear: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {clear}"}


# The partner API


def test_a_withdrawn_item_answers_410_with_when_and_why(
    client, keyed, make_article, announcing
):
    _feed, key_for = keyed
    clear = key_for()
    article = make_article()
    answer = client.get(f"/api/partner/items/{article.pk}/", **bearer(clear))
    assert answer.status_code == 200
    with announcing():
        withdraw(article, reason="数据来源有误")
    answer = client.get(f"/api/partner/items/{article.pk}/", **bearer(clear))
    assert answer.status_code == 410
    body = answer.json()
    withdrawal = Advisory.objects.get(kind="withdrawal")
    assert body["id"] == article.pk and body["guid"] == f"urn:kepu:page:{article.pk}"
    assert body["reason"] == "数据来源有误" and body["detail"] == "该条目已撤回"
    assert datetime.fromisoformat(body["withdrawn_at"]) == withdrawal.at
    items = client.get("/api/partner/items/", **bearer(clear)).json()["results"]
    assert items == []


def test_a_withdrawn_item_outside_the_key_scope_stays_404(
    client, make_feed, partner, make_article
):
    elsewhere = Topic.objects.create(name="天文", slug="astronomy")
    feed = make_feed("stars", access="partner", topics=[elsewhere])
    _key, clear = ApiKey.issue(partner, [feed])
    article = make_article()
    withdraw(article, reason="撤")
    answer = client.get(f"/api/partner/items/{article.pk}/", **bearer(clear))
    assert answer.status_code == 404
    assert "撤" not in answer.content.decode()


def test_advisories_since_a_time_are_listed_within_the_key_scope(
    client, partner, topic, make_feed, make_article, review_and_publish, announcing
):
    feed = make_feed("science", access="partner", topics=[topic])
    clear = ApiKey.issue(partner, [feed])[1]
    start = timezone.now()
    corrected, withdrawn = make_article(), make_article(title="火山")
    elsewhere = Topic.objects.create(name="天文", slug="astronomy")
    hidden = make_article(title="星空", publish=False)
    hidden.topics.set([elsewhere])
    review_and_publish(hidden)
    make_feed("other", access="partner", topics=[elsewhere])
    with announcing():
        correct(corrected, review_and_publish, "三天", "七天")
        withdraw(withdrawn, reason="结论过时")
        withdraw(hidden, reason="不该看到")
    answer = client.get(ADVISORIES, {"since": start.isoformat()}, **bearer(clear))
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert [(r["kind"], r["item"]) for r in results] == [
        ("withdrawal", withdrawn.pk),
        ("correction", corrected.pk),
    ]
    assert results[0]["reason"] == "结论过时"
    assert results[1]["wrong"] == "三天" and results[1]["right"] == "七天"
    assert results[1]["guid"] == f"urn:kepu:page:{corrected.pk}"
    later = client.get(
        ADVISORIES,
        {"since": (timezone.now() + timedelta(seconds=1)).isoformat()},
        **bearer(clear),
    )
    assert later.json()["results"] == []
    only = client.get(
        ADVISORIES, {"since": start.isoformat(), "kind": "correction"}, **bearer(clear)
    )
    assert [r["item"] for r in only.json()["results"]] == [corrected.pk]


def test_advisories_need_a_valid_since(client, keyed):
    _feed, key_for = keyed
    clear = key_for()
    assert client.get(ADVISORIES, **bearer(clear)).status_code == 400
    wrong = client.get(ADVISORIES, {"since": "昨天"}, **bearer(clear))
    assert wrong.status_code == 400 and "ISO 8601" in wrong.json()["since"]
    assert client.get(ADVISORIES, {"since": "2026-01-01"}).status_code == 401


def test_the_schema_describes_advisories_and_the_withdrawn_answer(client):
    schema = yaml.safe_load(client.get("/api/partner/schema/").content)
    listing = schema["paths"]["/api/partner/advisories/"]["get"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert {"since", "kind", "feed"} <= names
    item = schema["paths"]["/api/partner/items/{id}/"]["get"]["responses"]
    assert "410" in item
    withdrawn = schema["components"]["schemas"]["Withdrawn"]["properties"]
    assert {"withdrawn_at", "reason", "guid"} <= set(withdrawn)
    assert "corrections" in schema["components"]["schemas"]["Item"]["properties"]


# Notice settings


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"notice_method": "email"}, "contact_email", "请填写联系邮箱"),
        ({"notice_method": "webhook"}, "notice_url", "请填写回调地址"),
        (
            {"notice_method": "webhook", "notice_secret": "short"},
            "notice_secret",
            "至少 16 个字符",
        ),
    ],
)
def test_notice_settings_are_checked_with_chinese_errors(
    partner, fields, field, message
):
    for name, value in fields.items():
        setattr(partner, name, value)
    with pytest.raises(ValidationError) as raised:
        partner.full_clean()
    assert message in " ".join(raised.value.message_dict[field])


def test_the_admin_edits_the_notice_settings(admin_client, partner):
    page = admin_client.get(f"/admin/partners/partners/edit/{partner.pk}/")
    html = page.content.decode()
    assert "更正与撤回通知" in html and "回调地址" in html and "签名密钥" in html


# Notices to the partners that took the item


def pull(client, clear: str, path: str = "/feeds/mine/atom.xml") -> None:
    assert client.get(path, **bearer(clear)).status_code == 200
    flush_pull_logs()


def test_a_partner_that_pulled_the_item_gets_a_signed_webhook(
    client, keyed, partner, make_article, webhook, announcing
):
    url, receiver = webhook
    partner.notice_method, partner.notice_url = "webhook", url
    partner.notice_secret = SECRET
    partner.full_clean()
    partner.save()
    _feed, key_for = keyed
    article = make_article()
    pull(client, key_for())
    with announcing():
        withdraw(article, reason="数据来源有误")

    [(headers, body)] = receiver.received
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Kepu-Signature"] == f"sha256={expected}"
    withdrawal = Advisory.objects.get()
    assert (
        headers["Idempotency-Key"] == f"advisory-{withdrawal.pk}-partner-{partner.pk}"
    )
    notice = json.loads(body)["advisory"]
    assert notice["kind"] == "withdrawal" and notice["reason"] == "数据来源有误"
    assert notice["item"]["id"] == article.pk
    assert notice["item"]["guid"] == f"urn:kepu:page:{article.pk}"
    [row] = AdvisoryRecipient.objects.filter(channel="partners")
    assert row.state == "delivered" and row.name == partner.name
    assert row.reference == f"partner:{partner.pk}"


def test_a_partner_that_never_pulled_the_item_gets_nothing(
    client, keyed, partner, make_article, webhook, announcing, mailoutbox
):
    url, receiver = webhook
    partner.notice_method, partner.notice_url = "webhook", url
    partner.notice_secret = SECRET
    partner.save()
    _feed, key_for = keyed
    key_for()
    other = Partner.objects.create(
        name="海峡都市报",
        contact_name="陈编辑",
        contact_email="chen@example.cn",
        notice_method="email",
    )
    too_early = key_for(other)
    pull(client, too_early)  # before the item was published: it took nothing
    article = make_article()
    with announcing():
        withdraw(article, reason="撤")
    assert receiver.received == []
    assert not [mail for mail in mailoutbox if "chen@example.cn" in mail.to]
    assert not AdvisoryRecipient.objects.filter(channel="partners").exists()


def test_an_email_partner_is_sent_the_correction(
    client, keyed, make_article, review_and_publish, announcing, mailoutbox
):
    _feed, key_for = keyed
    other = Partner.objects.create(
        name="海峡都市报",
        contact_name="陈编辑",
        contact_email="chen@example.cn",
        notice_method="email",
    )
    article = make_article()
    pull(client, key_for(other), f"/api/partner/items/{article.pk}/")
    with announcing():
        correct(article, review_and_publish, "储备三天的水", "储备七天的水")
    [mail] = [mail for mail in mailoutbox if "chen@example.cn" in mail.to]
    assert mail.to == ["chen@example.cn"]
    assert mail.subject == f"【更正】{article.title}"
    assert "储备七天的水" in mail.body and "海峡都市报" in mail.body
    [row] = AdvisoryRecipient.objects.filter(channel="partners")
    assert row.state == "sent"


def test_a_partner_without_a_notice_method_waits_for_the_editor(
    client, keyed, partner, make_article, announcing
):
    _feed, key_for = keyed
    article = make_article()
    pull(client, key_for(), "/api/partner/items/")
    with announcing():
        withdraw(article)
    [row] = AdvisoryRecipient.objects.filter(channel="partners")
    assert row.state == "pending"
    assert "未设置通知方式" in row.detail and partner.contact_name in row.detail


def test_a_failed_pull_does_not_count(client, keyed, partner, make_article, announcing):
    _feed, key_for = keyed
    article = make_article()
    clear = key_for()
    missing = client.get("/feeds/mine/atom.xml?page=99", **bearer(clear))
    assert missing.status_code == 404
    flush_pull_logs()
    with announcing():
        withdraw(article)
    assert not AdvisoryRecipient.objects.filter(channel="partners").exists()
