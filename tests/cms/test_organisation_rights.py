"""Wagtail's page and collection rights follow the organisation tree
(cms.organisation_rights)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import Collection, GroupPagePermission, Page

from cms.organisation_rights import Holdings, sync_rights
from cms.pages import ContentIndexPage
from tests.organisation_fixtures import staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def sections(home, org_tree):
    """A section for the province and one for 农安县, each held by it."""
    made = {}
    for key, slug in [("province", "sheng"), ("nongan", "nongan")]:
        section = home.add_child(
            instance=ContentIndexPage(title=f"{slug}栏目", slug=slug)
        )
        org_tree[key].sections.add(section)
        made[key] = section
    sync_rights()
    return made


def can_add_below(user, page: Page) -> bool:
    fresh = type(user).objects.get(pk=user.pk)  # Wagtail caches rights on the user
    return page.permissions_for_user(fresh).can_add_subpage()


def test_staff_write_in_their_own_and_lower_sections_only(org_tree, sections):
    province = staff_of(org_tree["province"], name="province")
    county = staff_of(org_tree["nongan"], name="county")
    neighbour = staff_of(org_tree["dehui"], name="dehui")
    sync_rights()  # the staff groups came after the sections
    assert can_add_below(province, sections["province"])
    assert can_add_below(province, sections["nongan"])
    assert can_add_below(county, sections["nongan"])
    assert not can_add_below(county, sections["province"])
    assert not can_add_below(neighbour, sections["nongan"])


def test_moving_a_county_moves_its_rights(org_tree, sections):
    changchun = staff_of(org_tree["changchun"], name="changchun")
    songyuan = staff_of(org_tree["songyuan"], name="songyuan")
    sync_rights()
    assert can_add_below(changchun, sections["nongan"])
    county = org_tree["nongan"]
    county.parent = org_tree["songyuan"]
    county.save()
    sync_rights()
    assert not can_add_below(changchun, sections["nongan"])
    assert can_add_below(songyuan, sections["nongan"])


def test_a_section_given_up_keeps_no_rights_and_rights_by_hand_stay(
    org_tree, sections, home
):
    county = staff_of(org_tree["nongan"], name="county")
    group = county.groups.get()
    by_hand = GroupPagePermission.objects.create(
        group=group, page=home, permission=Permission.objects.get(codename="lock_page")
    )
    sync_rights()
    nongan = org_tree["nongan"]
    before = Holdings.of(nongan)
    nongan.sections.clear()
    sync_rights(before)
    assert not can_add_below(county, sections["nongan"])
    assert GroupPagePermission.objects.filter(pk=by_hand.pk).exists()


def test_a_collection_lets_the_staff_choose_its_images(org_tree):
    from wagtail.images import get_image_model
    from wagtail.permissions import policy_registry

    permission_policy = policy_registry.get_by_type(get_image_model())

    root = Collection.get_first_root_node()
    county_shelf = root.add_child(name="农安县素材")
    province_shelf = root.add_child(name="省素材")
    nongan = org_tree["nongan"]
    nongan.collection = county_shelf
    nongan.save()
    county = staff_of(nongan, name="county")
    sync_rights()
    choosable = permission_policy.collections_user_has_permission_for(county, "choose")
    assert set(choosable) == {county_shelf}
    assert province_shelf not in choosable


def test_only_a_superuser_gives_sections(client, org_tree, admin_user, sections):
    county = staff_of(org_tree["nongan"], name="county")
    url = reverse("organisations:edit", args=[org_tree["nongan"].pk])
    client.force_login(county)
    assert 'name="sections"' not in client.get(url).content.decode()
    client.force_login(admin_user)
    assert 'name="sections"' in client.get(url).content.decode()


def test_sections_given_in_the_admin_grant_rights_at_once(
    client, org_tree, admin_user, home
):
    section = home.add_child(instance=ContentIndexPage(title="德惠栏目", slug="dehui"))
    staff = Group.objects.create(name="德惠人员")
    dehui = org_tree["dehui"]
    client.force_login(admin_user)
    response = client.post(
        reverse("organisations:edit", args=[dehui.pk]),
        {
            "name": dehui.name,
            "tier": dehui.tier,
            "parent": dehui.parent_id,
            "contact_name": "",
            "contact_phone": "",
            "contact_email": "",
            "staff_groups": [staff.pk],
            "sections": [section.pk],
            "collection": "",
        },
    )
    assert response.status_code == 302
    assert GroupPagePermission.objects.filter(group=staff, page=section).count() == 2
