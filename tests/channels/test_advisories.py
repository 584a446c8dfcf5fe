"""更正 and 撤回 travel the way the item went: each outlet that received the
item gets the channel's signal and its state is recorded; placements not yet
delivered are cancelled (withdrawal) or re-checked (correction); the item's
address answers 410 once withdrawn."""

import json
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from channels.advisories import next_issue
from channels.models import AdvisoryRecipient, Placement
from channels.queue import enqueue_due_placements
from cms.advisories import Advisory, withdraw
from tests.conftest import SHORT_EPISODE, make_due


@pytest.fixture
def delivered_episode(make_episode, folder_outlet, make_placement):
    episode = make_episode(1, body=SHORT_EPISODE)
    placement = make_placement(episode, folder_outlet)
    make_due(placement)
    enqueue_due_placements(timezone.now())
    placement.refresh_from_db()
    assert placement.status == "delivered"
    return episode


def advisory_folder(tmp_path, advisory):
    [folder] = (tmp_path / "drop").glob(f"*-advisory-{advisory.pk}")
    return folder


def test_a_withdrawal_reaches_the_outlet_that_received_the_item(
    delivered_episode, client, tmp_path, reviewer, announcing
):
    path = delivered_episode.url
    with announcing():
        withdraw(delivered_episode, reason="数据来源有误", user=reviewer)

    advisory = Advisory.objects.get()
    assert advisory.kind == "withdrawal" and advisory.reason == "数据来源有误"
    assert advisory.public_path == unquote(path)
    [recipient] = advisory.recipients.all()
    assert recipient.channel == "radio" and recipient.state == "delivered"
    assert recipient.name.startswith("科学五分钟")
    notice = json.loads(
        (
            advisory_folder(tmp_path, advisory) / f"advisory-{advisory.pk}.json"
        ).read_text()
    )
    assert notice["advisory"]["kind"] == "withdrawal"
    assert notice["advisory"]["reason"] == "数据来源有误"

    answer = client.get(path)
    assert answer.status_code == 410
    assert "内容已撤回" in answer.content.decode()
    assert "数据来源有误" in answer.content.decode()


def test_unpublishing_in_code_or_by_expiry_is_a_withdrawal(make_article, client):
    article = make_article()
    path = article.url
    article.unpublish()
    assert Advisory.objects.get().kind == "withdrawal"
    assert client.get(path).status_code == 410


def test_the_reason_typed_in_the_admin_travels_with_the_withdrawal(
    make_article, admin_client
):
    article = make_article()
    url = f"/admin/pages/{article.pk}/unpublish/"
    assert "撤回原因" in admin_client.get(url).content.decode()
    admin_client.post(url, {"withdrawal_reason": "专家指出结论过时"})
    advisory = Advisory.objects.get()
    assert advisory.reason == "专家指出结论过时"
    assert advisory.user.is_superuser


def test_a_republished_item_answers_again(make_article, client, review_and_publish):
    article = make_article()
    article.unpublish()
    review_and_publish(article)
    assert client.get(article.url).status_code == 200


def test_a_withdrawal_cancels_placements_not_yet_delivered(
    make_episode, folder_outlet, make_placement, announcing
):
    episode = make_episode(2, body=SHORT_EPISODE)
    placement = make_placement(episode, folder_outlet)
    with announcing():
        withdraw(episode, reason="撤稿")
    placement.refresh_from_db()
    assert placement.status == "cancelled"
    assert "撤稿" in placement.events.last().note
    [row] = AdvisoryRecipient.objects.filter(placement=placement)
    assert row.state == "cancelled"
    make_due(placement)
    assert enqueue_due_placements(timezone.now()) == 0


def correct(page, review_and_publish, wrong: str, right: str, **changes):
    for name, value in changes.items():
        setattr(page, name, value)
    page.corrections = [("correction", {"wrong": wrong, "right": right})] + [
        (note.block_type, note.value, note.id) for note in page.corrections
    ]
    return review_and_publish(page)


def test_a_correction_is_announced_once_and_shown_on_the_page(
    delivered_episode, review_and_publish, client, tmp_path, announcing
):
    with announcing():
        correct(delivered_episode, review_and_publish, "储备三天的水", "储备七天的水")
    advisory = Advisory.objects.get()
    assert (advisory.kind, advisory.wrong, advisory.right) == (
        "correction",
        "储备三天的水",
        "储备七天的水",
    )
    [recipient] = advisory.recipients.all()
    assert recipient.state == "pending"  # the station's correction script
    assert recipient.placement.advisory == advisory

    review_and_publish(delivered_episode)  # an ordinary edit announces nothing
    assert Advisory.objects.count() == 1
    page = client.get(delivered_episode.url).content.decode()
    assert "更正说明" in page and "储备七天的水" in page


def test_a_correction_rechecks_pending_placements_with_the_reason(
    make_episode, folder_outlet, make_placement, review_and_publish, announcing
):
    episode = make_episode(3, body=SHORT_EPISODE)
    placement = make_placement(episode, folder_outlet)
    long_body = [("paragraph", f"<p>{'科学' * 900}</p>")]
    with announcing():
        correct(episode, review_and_publish, "短", "长", body=long_body)
    placement.refresh_from_db()
    assert placement.status == "failed"
    assert placement.error.startswith("更正后复查未通过")
    assert "超出 300 秒的时段" in placement.error
    [row] = AdvisoryRecipient.objects.filter(placement=placement)
    assert row.state == "failed"


def test_the_next_issue_follows_the_outlet_cadence(make_outlet):
    outlet = make_outlet(cadence_weekdays=[2, 4], cadence_time="07:30")
    monday = timezone.make_aware(timezone.datetime(2026, 12, 7, 9, 0))
    assert (
        timezone.localtime(next_issue(outlet, monday)).strftime("%a %H:%M")
        == "Tue 07:30"
    )
    thursday = monday + timezone.timedelta(days=3)
    assert next_issue(outlet, thursday).isoweekday() == 2


def test_an_outlet_without_push_waits_for_a_person(
    make_episode, make_outlet, make_placement, announcing
):
    outlet = make_outlet("radio", name="手动台", spec={"slot_seconds": 300})
    episode = make_episode(4, body=SHORT_EPISODE)
    placement = make_placement(episode, outlet)
    make_due(placement)
    enqueue_due_placements(timezone.now())
    with announcing():
        withdraw(episode)
    row = AdvisoryRecipient.objects.get(outlet=outlet, placement=None)
    assert row.state == "pending" and "电话或邮件通知" in row.detail
    assert Placement.objects.get(pk=placement.pk).status == "delivered"


def test_the_admin_lists_each_advisory_with_its_recipients_and_acts_on_them(
    make_episode, make_outlet, make_placement, announcing, admin_client, tmp_path
):
    manual = make_outlet("radio", name="手动台", spec={"slot_seconds": 300})
    broken = make_outlet(
        "radio",
        name="坏文件夹台",
        spec={"slot_seconds": 300},
        delivery="folder",
        delivery_target=str(tmp_path / "later"),
    )
    episode = make_episode(5, body=SHORT_EPISODE)
    for outlet in (manual, broken):
        make_due(make_placement(episode, outlet))
    enqueue_due_placements(timezone.now())
    (tmp_path / "later").rename(tmp_path / "gone")
    (tmp_path / "later").write_text("a file where the folder was")
    with announcing():
        withdraw(episode, reason="结论有误")
    advisory = Advisory.objects.get()

    listing = admin_client.get("/admin/channels/advisories/").content.decode()
    assert "撤回" in listing and episode.title in listing and "1 个失败" in listing
    page = admin_client.get(f"/admin/channels/advisories/inspect/{advisory.pk}/")
    html = page.content.decode()
    assert "结论有误" in html and "手动台" in html and "坏文件夹台" in html
    assert "重试" in html and "标记为已确认" in html

    failed = advisory.recipients.get(outlet=broken)
    assert failed.state == "failed"
    (tmp_path / "later").unlink()
    admin_client.post(f"/admin/channels/advisories/recipient/{failed.pk}/retry/")
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("delivered", 2)

    waiting = advisory.recipients.get(outlet=manual)
    admin_client.post(
        f"/admin/channels/advisories/recipient/{waiting.pk}/acknowledge/",
        {"note": "已电话通知值班编辑"},
    )
    waiting.refresh_from_db()
    assert waiting.state == "acknowledged" and waiting.detail == "已电话通知值班编辑"


def test_only_placement_staff_see_advisories_and_nobody_edits_them(
    make_article, announcing, client, editor, django_user_model
):
    with announcing():
        make_article().unpublish()
    advisory = Advisory.objects.get()
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    assert client.get("/admin/channels/advisories/").status_code == 200
    assert client.get(
        f"/admin/channels/advisories/edit/{advisory.pk}/"
    ).status_code in (
        302,
        403,
    )
    outsider = django_user_model.objects.create_user("outsider", password="x")
    outsider.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(outsider)
    assert client.get("/admin/channels/advisories/").status_code in (302, 403)


def test_the_items_editor_links_to_its_advisories(make_article, admin_client):
    article = make_article()
    edit = f"/admin/pages/{article.pk}/edit/"
    assert "更正与撤回（" not in admin_client.get(edit).content.decode()
    article.unpublish()
    html = admin_client.get(edit).content.decode()
    assert "更正与撤回（1）" in html
    listing = admin_client.get(f"/admin/channels/advisories/?item={article.pk}")
    assert article.title in listing.content.decode()
    other = admin_client.get(f"/admin/channels/advisories/?item={article.pk + 1}")
    assert article.title not in other.content.decode()


def test_a_note_on_the_first_publication_announces_nothing(make_article):
    note = [("correction", {"wrong": "甲", "right": "乙"})]
    make_article(corrections=note)
    assert not Advisory.objects.exists()
