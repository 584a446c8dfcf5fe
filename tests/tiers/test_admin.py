"""资源包 in the admin: sending, pushing, and each recipient's task, as the
staff of each organisation see them."""

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from screens.models import PlaylistItem, ScreenGroup
from tests.organisation_fixtures import staff_of
from tiers.models import LandingEvidence, PackageTask, ResourcePackage
from tiers.push import push, recipients

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(make_package, org_tree):
    """The province's package pushed to every county and site."""
    package = make_package()
    push(package, recipients(org_tree["province"], [3, 4], None, None), None)
    return package


def task_url(package, organisation) -> str:
    task = package.tasks.get(organisation=organisation)
    return reverse("package_tasks:task", args=[task.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_package_made_in_the_admin_belongs_to_its_makers_organisation(
    client, org_tree, make_article
):
    page = make_article(slug="for-package")
    client.force_login(staff_of(org_tree["changchun"]))
    data = nested_form_data(
        {
            "title": "科普日资源包",
            "starts_on": "2026-09-01",
            "ends_on": "2026-09-30",
            "acknowledge_within": "2880",
            "owner": "",
            "instructions": "请在科普日当周刊发",
            "campaign": "",
            "items": inline_formset([{"page": page.pk, "note": ""}]),
        }
    )
    response = client.post(reverse("packages:add"), data)
    assert response.status_code == 302, response.context["form"].errors
    package = ResourcePackage.objects.get()
    assert package.owner == org_tree["changchun"]
    assert [item.page_id for item in package.items.all()] == [page.pk]


def test_the_province_pushes_to_every_county(client, make_package, org_tree):
    package = make_package()
    staff_of(org_tree["nongan"], name="nongan")
    client.force_login(staff_of(org_tree["province"]))
    url = reverse("packages:push", args=[package.pk])
    response = client.post(url, {"tiers": ["3"]}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "packages:receipts", args=[package.pk]
    )
    said = messages_of(response)
    assert "已推送给 2 个单位" in said
    assert any("德惠市科协 没有人员账号" in text for text in said)
    again = client.post(url, {"tiers": ["3"]}, follow=True)
    assert "2 个单位此前已收到，未重复推送" in messages_of(again)
    assert package.tasks.count() == 2


def test_a_push_with_nothing_chosen_or_a_withdrawn_item_is_refused(
    client, make_package, org_tree
):
    package = make_package()
    client.force_login(staff_of(org_tree["province"]))
    url = reverse("packages:push", args=[package.pk])
    response = client.post(url, {})
    assert "请勾选层级或指定单位" in response.content.decode()
    package.items.get().page.unpublish()
    response = client.post(url, {"tiers": ["2"]})
    assert "已下线或未通过科学性审核，请先移出资源包再推送" in response.content.decode()
    assert not package.tasks.exists()


def test_a_county_cannot_push_or_read_the_provinces_package(client, pushed, org_tree):
    client.force_login(staff_of(org_tree["dehui"]))
    assert client.get(reverse("packages:push", args=[pushed.pk])).status_code == 404
    assert client.get(reverse("packages:edit", args=[pushed.pk])).status_code == 404
    listing = client.get(reverse("packages:index"))
    assert "防灾减灾日资源包" not in listing.content.decode()


def test_the_county_acknowledges_once(client, pushed, org_tree):
    user = staff_of(org_tree["nongan"])
    client.force_login(user)
    url = task_url(pushed, org_tree["nongan"])
    first = client.post(url, {"action": "acknowledge"}, follow=True)
    assert "已签收" in messages_of(first)
    task = PackageTask.objects.get(package=pushed, organisation=org_tree["nongan"])
    at = task.acknowledged_at
    assert at and task.acknowledged_by == user
    second = client.post(url, {"action": "acknowledge"}, follow=True)
    assert "此前已签收，没有重复记录" in messages_of(second)
    task.refresh_from_db()
    assert task.acknowledged_at == at


def test_another_county_cannot_see_the_task_and_the_province_only_reads_it(
    client, pushed, org_tree
):
    url = task_url(pushed, org_tree["nongan"])
    client.force_login(staff_of(org_tree["dehui"], name="dehui"))
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "acknowledge"}).status_code == 404
    client.force_login(staff_of(org_tree["province"], name="province"))
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="acknowledge"' not in page.content.decode()
    refused = client.post(url, {"action": "acknowledge"})
    assert refused.status_code == 302 and refused.url == reverse("wagtailadmin_home")
    assert not PackageTask.objects.filter(acknowledged_at__isnull=False).exists()


def test_the_task_list_shows_only_the_users_branch(client, pushed, org_tree):
    client.force_login(staff_of(org_tree["dehui"]))
    body = client.get(reverse("package_tasks:index")).content.decode()
    assert "德惠市科协" in body and "农安县科协" not in body


def site_group(owner, name="合隆镇大屏") -> ScreenGroup:
    return ScreenGroup.objects.create(
        name=name,
        tier=ScreenGroup.Tier.SITE,
        operator=owner.name,
        contact_name="王",
        owner=owner,
    )


def test_a_package_whose_period_is_over_is_not_put_on_screens(
    client, make_package, org_tree
):
    package = make_package(
        starts_on=date(2026, 5, 1), ends_on=timezone.localdate() - timedelta(days=1)
    )
    push(package, recipients(org_tree["province"], [3], None, None), None)
    group = site_group(org_tree["dehui"])
    client.force_login(staff_of(org_tree["dehui"]))
    url = task_url(package, org_tree["dehui"])
    response = client.post(
        url, {"action": "playlist", "item": package.items.get().pk, "group": group.pk}
    )
    assert "落实期已于" in response.content.decode()
    assert not PlaylistItem.objects.exists()


def test_taking_up_on_the_countys_screens(client, pushed, org_tree):
    ours = site_group(org_tree["helong"])
    theirs = site_group(org_tree["dehui"], name="德惠大屏")
    client.force_login(staff_of(org_tree["nongan"]))
    url = task_url(pushed, org_tree["nongan"])
    item = pushed.items.get()
    page = client.get(url).content.decode()
    assert "合隆镇大屏" in page and "德惠大屏" not in page

    refused = client.post(
        url, {"action": "playlist", "item": item.pk, "group": theirs.pk}
    )
    assert refused.status_code == 200
    assert not PlaylistItem.objects.exists()

    client.post(url, {"action": "playlist", "item": item.pk, "group": ours.pk})
    client.post(url, {"action": "playlist", "item": item.pk, "group": ours.pk})
    entry = PlaylistItem.objects.get()
    assert (entry.group, entry.page_id, entry.kind) == (ours, item.page_id, "card")
    assert entry.ends_on == pushed.ends_on
    page = client.get(url).content.decode()
    assert "已采用" in page and "大屏轮播：合隆镇大屏" in page


def test_evidence_by_hand_is_kept_and_a_bad_link_refused(client, pushed, org_tree):
    client.force_login(staff_of(org_tree["dehui"]))
    url = task_url(pushed, org_tree["dehui"])
    bad = client.post(
        url, {"action": "evidence", "note": "村广播", "link": "javascript:alert(1)"}
    )
    assert "链接" in bad.content.decode() and not LandingEvidence.objects.exists()
    assert "村广播" in bad.content.decode()  # what was typed stays
    client.post(
        url,
        {
            "action": "evidence",
            "note": "村广播播出三次",
            "link": "https://example.cn/a",
        },
    )
    evidence = LandingEvidence.objects.get()
    assert evidence.note == "村广播播出三次"
    assert "已落地" in client.get(url).content.decode()


def test_the_province_drills_down_the_receipts(client, pushed, org_tree):
    pushed.tasks.filter(organisation=org_tree["nongan"]).update(
        acknowledged_at=timezone.now()
    )
    client.force_login(staff_of(org_tree["province"]))
    url = reverse("packages:receipts", args=[pushed.pk])
    body = client.get(url).content.decode()
    assert "长春市科协" in body and "receipts-chart" in body
    assert "33.3%" in body  # 1 of 3 tasks acknowledged
    drilled = client.get(url, {"under": org_tree["changchun"].pk}).content.decode()
    assert "农安县科协" in drilled and "德惠市科协" in drilled
    assert "松原市科协" not in drilled


def test_a_county_reads_only_its_own_branch_of_the_receipts(client, pushed, org_tree):
    client.force_login(staff_of(org_tree["nongan"]))
    url = reverse("packages:receipts", args=[pushed.pk])
    body = client.get(url).content.decode()
    assert "合隆镇" in body and "德惠市科协" not in body
    # No way up the tree from the county's own branch.
    assert f"?under={org_tree['changchun'].pk}" not in body
    other = client.get(url, {"under": org_tree["dehui"].pk})
    assert other.status_code == 404
    export = client.get(
        reverse("packages:export", args=[pushed.pk, "csv"]),
        {"under": org_tree["dehui"].pk},
    )
    assert export.status_code == 404


def test_the_receipts_export_as_csv_and_xlsx(client, pushed, org_tree):
    client.force_login(staff_of(org_tree["province"]))
    csv = client.get(reverse("packages:export", args=[pushed.pk, "csv"]))
    text = csv.content.decode("utf-8-sig")
    assert "按层级" in text and "合隆镇" in text and "县/区" in text
    xlsx = client.get(reverse("packages:export", args=[pushed.pk, "xlsx"]))
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames == ["按层级", "各单位"]
    names = [
        row[0] for row in workbook["各单位"].iter_rows(min_row=2, values_only=True)
    ]
    assert names == ["农安县科协", "合隆镇", "德惠市科协"]


def test_a_late_acknowledgement_counts_as_not_in_time(client, pushed, org_tree):
    task = pushed.tasks.get(organisation=org_tree["dehui"])
    task.acknowledge_by = timezone.now() - timedelta(minutes=5)
    task.save()
    client.force_login(staff_of(org_tree["dehui"]))
    client.post(task_url(pushed, org_tree["dehui"]), {"action": "acknowledge"})
    task.refresh_from_db()
    assert task.acknowledged_at > task.acknowledge_by


def test_the_dashboard_lists_tasks_to_acknowledge_and_overdue_below(
    client, pushed, org_tree
):
    pushed.tasks.filter(organisation=org_tree["helong"]).update(
        acknowledge_by=timezone.now() - timedelta(hours=1)
    )
    client.force_login(staff_of(org_tree["nongan"]))
    body = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "待本单位签收" in body and "下级单位逾期未签收" in body
    assert "合隆镇" in body and "德惠市科协" not in body
    client.post(task_url(pushed, org_tree["nongan"]), {"action": "acknowledge"})
    body = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "待本单位签收" not in body and "下级单位逾期未签收" in body
