"""采用 by copying (tiers.take_up): a county copies a package's item into its
own section, crediting the sender; the copy is live at once on the
strength of the original's review, an edit of it waits for review, the
copy and its publication count as 采用 and 落地, and withdrawing the
original withdraws the copy."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cms.advisories import withdraw
from cms.organisation_rights import sync_rights
from cms.pages import ContentIndexPage, visible_pages
from cms.review import ReviewNotApproved, is_review_approved
from tests.organisation_fixtures import staff_of
from tiers.models import PackageCopy
from tiers.push import push, recipients
from tiers.receipts import attach_receipts, records_of
from tiers.take_up import copy_into

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_section(home, org_tree):
    section = home.add_child(
        instance=ContentIndexPage(title="农安县科普", slug="nongan")
    )
    org_tree["nongan"].sections.add(section)
    sync_rights()
    return section


@pytest.fixture
def task(make_package, org_tree):
    package = make_package()
    push(package, recipients(org_tree["province"], [3], None, None), None)
    return package.tasks.get(organisation=org_tree["nongan"])


def original_of(task):
    return task.package.items.get().page.specific


def test_a_copy_credits_the_sender_and_goes_live_on_the_originals_review(
    task, county_section
):
    original = original_of(task)
    done = copy_into(task, original, county_section, user=None)
    copy = done.copy.specific
    assert copy.live and copy.get_parent().pk == county_section.pk
    assert copy.title == original.title
    assert [(b.block_type, str(b.value)) for b in copy.body] == [
        (b.block_type, str(b.value)) for b in original.body
    ]
    assert copy.source_credit == "省科协；转自吉林省科协"
    assert is_review_approved(copy.live_revision)
    assert visible_pages().filter(pk=copy.pk).exists()


def test_an_edited_copy_waits_for_review(task, county_section, editor):
    copy = copy_into(task, original_of(task), county_section, None).copy.specific
    copy.title = "农安版：疫苗是怎样起作用的"
    revision = copy.save_revision(user=editor)
    assert not is_review_approved(revision)
    with pytest.raises(ReviewNotApproved):
        revision.publish(user=editor, skip_permission_checks=True)


def test_a_copy_is_take_up_and_its_publication_landing(task, county_section):
    done = copy_into(task, original_of(task), county_section, None)
    attach_receipts(task.package, [task])
    assert task.taken_up_at == done.copied_at
    assert task.landed_at == done.copy.first_published_at


def test_a_placement_of_the_copy_is_a_record_of_the_task(
    task, county_section, make_outlet, make_placement, org_tree
):
    copy = copy_into(task, original_of(task), county_section, None).copy
    outlet = make_outlet(name="农安报", owner=org_tree["nongan"])
    placement = make_placement(copy, outlet)
    placements, _entries, _plays = records_of(task)
    assert list(placements) == [placement]


@pytest.mark.parametrize("wrong", ["again", "not_ours", "withdrawn"])
def test_refused_copies_say_why_in_chinese(
    wrong, task, county_section, home, announcing
):
    original = original_of(task)
    section = county_section
    expected = {
        "again": "已转载为",
        "not_ours": "只能转载到本单位的栏目",
        "withdrawn": "已下线或未通过科学性审核",
    }[wrong]
    if wrong == "again":
        copy_into(task, original, section, None)
    if wrong == "not_ours":
        section = home.add_child(instance=ContentIndexPage(title="省栏目", slug="s"))
    if wrong == "withdrawn":
        with announcing():
            withdraw(original, reason="数据有误")
    with pytest.raises(ValidationError) as refused:
        copy_into(task, original, section, None)
    assert expected in str(refused.value)


def test_withdrawing_the_original_withdraws_its_copies(
    task, county_section, announcing
):
    original = original_of(task)
    copy = copy_into(task, original, county_section, None).copy
    with announcing():
        withdraw(original, reason="数据有误")
    copy.refresh_from_db()
    assert not copy.live
    assert (
        copy.advisories.get().reason == "原内容《疫苗是怎样起作用的》已撤回：数据有误"
    )


def test_the_countys_staff_copy_from_the_task_page(
    client, task, county_section, org_tree
):
    client.force_login(staff_of(org_tree["nongan"]))
    address = reverse("package_tasks:task", args=[task.pk])
    page = client.get(address).text
    assert "转载到本单位栏目" in page and "农安县科普" in page
    item = task.package.items.get()
    form = {"action": "copy", "item": item.pk, "section": county_section.pk}
    answer = client.post(address, form, follow=True)
    assert "沿用原内容的科学审核" in answer.text
    again = client.post(address, form)
    assert again.status_code == 200 and "已转载为" in again.text
    client.force_login(staff_of(org_tree["changchun"], name="cc"))
    assert client.post(address, form).status_code in (302, 403)
    assert PackageCopy.objects.count() == 1
