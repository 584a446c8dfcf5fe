"""The admin as each organisation sees it: the 单位 tree, and every listing,
form and row address of what organisations own (outlets, placements, screen
groups, screens, partners, keys, feeds) limited to the user's own
organisation and those below it."""

import lxml.html
import pytest
from django.urls import reverse

from channels.models import Outlet
from cms.organisations import Organisation
from feeds.models import FeedDefinition
from partners.models import ApiKey, Partner
from screens.models import Screen, ScreenGroup
from tests.organisation_fixtures import staff_of

Tier = Organisation.Tier


def page(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.content.decode())


def listed(client, url_name: str) -> set[str]:
    response = client.get(reverse(f"{url_name}:index"))
    assert response.status_code == 200
    cells = page(response).xpath("//table//div[@class='title-wrapper']/a/text()")
    return {text.strip() for text in cells if text.strip()}


def choices(client, url: str, field: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    options = page(response).xpath(f"//select[@name='{field}']/option")
    return {option.text_content().strip() for option in options if option.get("value")}


@pytest.fixture
def owned(org_tree) -> dict[str, dict]:
    """One of each owned thing per organisation, named after it."""
    rows = {}
    for key, organisation in org_tree.items():
        outlet = Outlet.objects.create(
            name=f"{organisation.name}专栏",
            channel="newspaper",
            organisation="日报",
            owner=organisation,
        )
        group = ScreenGroup.objects.create(
            name=f"{organisation.name}大屏",
            tier=organisation.tier,
            parent=rows[parent_key(org_tree, organisation)]["group"]
            if organisation.parent
            else None,
            owner=organisation,
            operator=organisation.name,
            contact_name="王",
        )
        screen = Screen.objects.create(name=f"{organisation.name}一号屏", group=group)
        partner = Partner.objects.create(
            name=f"{organisation.name}合作媒体", contact_name="李", owner=organisation
        )
        key, _clear = ApiKey.issue(partner, [], label=f"{organisation.name}密钥")
        feed = FeedDefinition.objects.create(
            slug=f"feed-{organisation.pk}",
            title=f"{organisation.name}订阅源",
            owner=organisation,
        )
        rows[key_of(org_tree, organisation)] = {
            "outlet": outlet,
            "group": group,
            "screen": screen,
            "partner": partner,
            "key": key,
            "feed": feed,
        }
    return rows


def key_of(tree: dict[str, Organisation], organisation: Organisation) -> str:
    return next(key for key, row in tree.items() if row == organisation)


def parent_key(tree: dict[str, Organisation], organisation: Organisation) -> str:
    return key_of(tree, organisation.parent)


@pytest.fixture
def county_client(client, org_tree):
    client.force_login(staff_of(org_tree["nongan"]))
    return client


def test_a_county_lists_its_own_and_its_sites_rows_only(county_client, owned):
    assert listed(county_client, "channel_outlets") == {"农安县科协专栏", "合隆镇专栏"}
    assert listed(county_client, "big_screen_screens") == {
        "农安县科协一号屏",
        "合隆镇一号屏",
    }
    assert listed(county_client, "partners") == {"农安县科协合作媒体", "合隆镇合作媒体"}
    assert listed(county_client, "feed_definitions") == {
        "农安县科协订阅源",
        "合隆镇订阅源",
    }
    assert listed(county_client, "organisations") == {
        "县/区·农安县科协",
        "乡镇/站点·合隆镇",
    }
    groups = county_client.get(reverse("big_screen_groups:index")).content.decode()
    assert "农安县科协大屏" in groups and "合隆镇大屏" in groups
    assert "德惠市科协大屏" not in groups and "长春市科协大屏" not in groups


@pytest.mark.parametrize("action", ["edit", "delete"])
@pytest.mark.parametrize(
    ("url_name", "thing"),
    [
        ("channel_outlets", "outlet"),
        ("big_screen_groups", "group"),
        ("big_screen_screens", "screen"),
        ("partners", "partner"),
        ("partner_keys", "key"),
        ("feed_definitions", "feed"),
    ],
)
def test_another_countys_row_is_not_found_by_its_address(
    county_client, owned, url_name, thing, action
):
    other = owned["dehui"][thing]
    own = owned["helong"][thing]
    url = lambda row: reverse(f"{url_name}:{action}", args=[row.pk])  # noqa: E731
    assert county_client.get(url(other)).status_code == 404
    assert county_client.post(url(other)).status_code == 404
    assert county_client.get(url(own)).status_code == 200
    assert type(other).objects.filter(pk=other.pk).exists()


def test_another_countys_partner_usage_is_not_found(county_client, owned):
    usage = lambda partner: reverse("partners:pulls", args=[partner.pk])  # noqa: E731
    assert county_client.get(usage(owned["dehui"]["partner"])).status_code == 404
    assert county_client.get(usage(owned["helong"]["partner"])).status_code == 200


def test_a_new_rows_owner_is_chosen_among_its_own_organisations(
    county_client, org_tree, owned
):
    add = reverse("channel_outlets:add")
    assert choices(county_client, add, "owner") == {
        "县/区·农安县科协",
        "乡镇/站点·合隆镇",
    }
    data = {
        "name": "农安科普",
        "organisation": "农安报",
        "channel": "newspaper",
        "spec": "{}",
        "cadence": "irregular",
        "delivery": "none",
    }
    refused = county_client.post(add, {**data, "owner": org_tree["dehui"].pk})
    assert refused.status_code == 200
    assert not Outlet.objects.filter(name="农安科普").exists()
    assert county_client.post(add, data).status_code == 302  # none chosen: its own
    assert Outlet.objects.get(name="农安科普").owner == org_tree["nongan"]


def test_a_choice_offers_the_scope_and_what_the_row_holds(county_client, owned):
    county_group = owned["nongan"]["group"]
    edit = reverse("big_screen_groups:edit", args=[county_group.pk])
    offered = choices(county_client, edit, "parent")
    # Its parent (the city's group) stays, the other county's does not come.
    assert "市·长春市科协大屏" in offered
    assert "县·德惠市科协大屏" not in offered
    key_add = reverse("partner_keys:add")
    assert choices(county_client, key_add, "partner") == {
        "农安县科协合作媒体",
        "合隆镇合作媒体",
    }


def test_the_province_works_on_every_row(client, org_tree, owned):
    client.force_login(staff_of(org_tree["province"]))
    assert len(listed(client, "channel_outlets")) == len(org_tree)
    other = owned["dehui"]["outlet"]
    edit = reverse("channel_outlets:edit", args=[other.pk])
    assert client.get(edit).status_code == 200


def test_the_tree_is_listed_in_order_with_toggles_and_adds_below(
    admin_client, org_tree
):
    response = admin_client.get(reverse("organisations:index"))
    tree = page(response)
    rows = tree.xpath("//tr[@data-tree-path]")
    assert [row.get("data-tree-path") for row in rows] == sorted(
        organisation.path for organisation in org_tree.values()
    )
    changchun = org_tree["changchun"]
    [toggle] = tree.xpath(f"//button[@data-tree-toggle='{changchun.path}']")
    assert toggle.get("aria-label") == "收起或展开 2 个下级单位"
    add_below = f"{reverse('organisations:add')}?parent={changchun.pk}"
    assert add_below in response.content.decode()
    form = page(admin_client.get(add_below))
    [parent] = form.xpath("//select[@name='parent']/option[@selected]")
    assert parent.get("value") == str(changchun.pk)
    [tier] = form.xpath("//select[@name='tier']/option[@selected]")
    assert tier.get("value") == str(Tier.COUNTY)


def test_an_organisation_that_holds_anything_is_not_deleted_and_says_why(
    admin_client, org_tree, owned
):
    changchun = org_tree["changchun"]
    delete = reverse("organisations:delete", args=[changchun.pk])
    response = admin_client.post(delete, follow=True)
    assert Organisation.objects.filter(pk=changchun.pk).exists()
    text = response.content.decode()
    assert "不能删除“长春市科协”：它还有" in text
    for holder in (
        "单位 2 个",
        "渠道账号",
        "大屏分组 1 个",
        "合作方 1 个",
        "订阅源 1 个",
    ):
        assert holder in text


def test_an_organisation_that_holds_nothing_is_deleted(admin_client, org_tree):
    empty = Organisation.objects.create(
        name="扶余市科协", tier=Tier.CITY, parent=org_tree["province"]
    )
    delete = reverse("organisations:delete", args=[empty.pk])
    assert admin_client.get(delete).status_code == 200
    assert admin_client.post(delete).status_code == 302
    assert not Organisation.objects.filter(pk=empty.pk).exists()
