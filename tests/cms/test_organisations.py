"""Organisations: a tree from province to site, and what a user's
organisations let them work on (cms.organisations.Scope)."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from channels.models import Outlet
from cms.organisations import Organisation, Scope
from screens.models import ScreenGroup
from tests.organisation_fixtures import staff_of

Tier = Organisation.Tier


@pytest.fixture
def tree(org_tree):
    return org_tree


def outlets_by_owner(tree: dict[str, Organisation]) -> dict[str, Outlet]:
    return {
        key: Outlet.objects.create(
            name=f"{organisation.name}专栏",
            channel="newspaper",
            organisation="日报",
            owner=organisation,
        )
        for key, organisation in tree.items()
    }


def visible(user: User) -> set[str]:
    scope = Scope.of(user)
    return set(scope.filter(Outlet.objects.all()).values_list("owner__name", flat=True))


def test_paths_run_from_the_root_and_follow_a_move(tree):
    nongan, helong = tree["nongan"], tree["helong"]
    assert helong.lineage_ids == [
        tree["province"].pk,
        tree["changchun"].pk,
        nongan.pk,
        helong.pk,
    ]
    nongan.parent = tree["songyuan"]
    nongan.save()
    helong.refresh_from_db()
    assert helong.lineage_ids[:3] == [
        tree["province"].pk,
        tree["songyuan"].pk,
        nongan.pk,
    ]
    assert set(tree["songyuan"].descendants()) == {tree["songyuan"], nongan, helong}


def test_a_parent_must_be_a_higher_tier_and_not_below_itself(tree):
    city = tree["changchun"]
    city.parent = tree["dehui"]
    with pytest.raises(ValidationError) as refused:
        city.full_clean()
    assert refused.value.message_dict["parent"] == ["上级单位的层级必须高于本单位"]
    city.parent, city.tier = tree["helong"], Tier.SITE + 1
    with pytest.raises(ValidationError) as refused:
        city.full_clean()
    assert "不能把单位移到自己的下级" in refused.value.message_dict["parent"]


def test_a_province_editor_works_on_everything_below_it(tree):
    outlets_by_owner(tree)
    user = staff_of(tree["province"])
    assert len(visible(user)) == len(tree)


def test_a_county_editor_works_on_its_own_and_its_sites_only(tree):
    outlets_by_owner(tree)
    user = staff_of(tree["nongan"])
    assert visible(user) == {"农安县科协", "合隆镇"}
    scope = Scope.of(user)
    assert scope.covers(tree["helong"])
    assert not scope.covers(tree["changchun"])
    assert not scope.covers(tree["dehui"])
    assert set(scope.organisations()) == {tree["nongan"], tree["helong"]}


def test_a_move_carries_its_staff_rights_with_it(tree):
    outlets_by_owner(tree)
    user = staff_of(tree["songyuan"])
    assert visible(user) == {"松原市科协"}
    tree["nongan"].parent = tree["songyuan"]
    tree["nongan"].save()
    assert visible(user) == {"松原市科协", "农安县科协", "合隆镇"}


def test_staff_of_two_organisations_work_on_both(tree):
    outlets_by_owner(tree)
    user = staff_of(tree["helong"], tree["dehui"])
    assert visible(user) == {"合隆镇", "德惠市科协"}


def test_a_user_of_no_organisation_works_on_nothing_and_a_superuser_on_all(tree):
    outlets_by_owner(tree)
    assert visible(User.objects.create_user("visitor")) == set()
    admin = User.objects.create_superuser("admin")
    assert Scope.of(admin).everything
    assert len(visible(admin)) == len(tree)


def test_what_is_made_without_an_owner_belongs_to_the_root(tree):
    group = ScreenGroup.objects.create(
        name="吉林省", tier=1, operator="省科协", contact_name="王"
    )
    assert group.owner == tree["province"]


def test_an_organisation_that_owns_something_cannot_be_deleted(tree):
    outlets_by_owner(tree)
    with pytest.raises(ProtectedError):
        tree["helong"].delete()
    with pytest.raises(ProtectedError):  # it has organisations below it
        tree["dehui"].parent.delete()
