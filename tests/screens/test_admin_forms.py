"""The operators' forms without JSON: day parts as weekday boxes and times
(round-tripping what is stored), and the group listing that leads to each
group's playlist, preview, screens, child groups and remote care."""

import json

import lxml.html
import pytest
from django.contrib.auth.models import User
from django.http import QueryDict
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from screens.models import PlaylistItem
from screens.widgets import DayPartsWidget

ADMIN = "/admin/big-screen"
STORED = [
    [],
    [{"days": [1, 2, 3, 4, 5], "start": "07:00", "end": "09:00"}],
    [
        {"days": [6, 7], "start": "09:30", "end": "12:00"},
        {"days": [5], "start": "22:00", "end": "02:00"},
        {"days": [1, 2, 3, 4, 5, 6, 7], "start": "18:00", "end": "24:00"},
    ],
]


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(user)
    return client


def posted_fields(html: str) -> QueryDict:
    """What a browser posts for the rendered editor (the blank row's
    template is not part of the form)."""
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    for template in tree.xpath("//template"):
        template.drop_tree()
    data = QueryDict(mutable=True)
    for field in tree.xpath("//input"):
        if field.get("type") == "checkbox" and field.get("checked") is None:
            continue
        data.appendlist(field.get("name"), field.get("value", ""))
    return data


@pytest.mark.parametrize("parts", STORED)
def test_the_editor_posts_back_exactly_what_is_stored(parts):
    widget = DayPartsWidget()
    data = posted_fields(widget.render("day_parts", parts))
    assert json.loads(widget.value_from_datadict(data, {}, "day_parts")) == parts


def test_rows_are_weekday_boxes_and_times_not_json():
    html = DayPartsWidget().render("day_parts", STORED[1])
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    [row] = tree.xpath("//ol//li")
    checked = row.xpath(".//input[@type='checkbox'][@checked]/..")
    assert [label.text_content() for label in checked] == [
        "周一",
        "周二",
        "周三",
        "周四",
        "周五",
    ]
    times = row.xpath(".//input[@type='time']/@value")
    assert times == ["07:00", "09:00"] and not tree.xpath("//textarea")


def test_an_empty_row_is_dropped_and_a_removed_row_leaves_no_gap():
    data = QueryDict(mutable=True)
    data.update({"day_parts-count": "3", "day_parts-2-start": "08:00"})
    data.update({"day_parts-2-end": "10:00"})
    data.setlist("day_parts-2-days", ["3", "9", "x"])
    value = DayPartsWidget().value_from_datadict(data, {}, "day_parts")
    assert json.loads(value) == [{"days": [3], "start": "08:00", "end": "10:00"}]


def group_form(group, parent, items) -> dict:
    return nested_form_data(
        {
            "name": group.name,
            "tier": group.tier,
            "parent": parent.pk,
            "operator": group.operator,
            "contact_name": group.contact_name,
            "contact_phone": "",
            "playlist_items": inline_formset(items),
        }
    )


def test_a_day_part_saved_from_the_rows_and_a_bad_row_named_and_kept(
    admin_client, screen_tree, screen_image
):
    url = f"{ADMIN}/groups/edit/{screen_tree.site.pk}/"
    item = {"kind": "image", "image": screen_image.pk, "duration_seconds": 12}
    item |= {"title": "早高峰", "locked": "on", "day_parts-count": "1"}
    item |= {"day_parts-0-start": "07:00", "day_parts-0-end": ""}
    data = group_form(screen_tree.site, screen_tree.county, [item])
    data["playlist_items-0-day_parts-0-days"] = ["1", "2"]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "第 1 个时段：请填写开始和结束时间" in text
    tree = lxml.html.fromstring(text)
    kept = tree.xpath("//input[@name='playlist_items-0-day_parts-0-days'][@checked]")
    assert [box.get("value") for box in kept] == ["1", "2"]

    data["playlist_items-0-day_parts-0-end"] = "09:00"
    assert admin_client.post(url, data).status_code == 302
    saved = PlaylistItem.objects.get(group=screen_tree.site)
    assert saved.day_parts == [{"days": [1, 2], "start": "07:00", "end": "09:00"}]


def test_group_names_lead_to_the_group_and_rows_to_its_pages(
    admin_client, screen_tree, paired_screen
):
    text = admin_client.get(f"{ADMIN}/groups/").content.decode()
    tree = lxml.html.fromstring(text)
    county = screen_tree.county
    name = tree.xpath(f"//a[@href='{ADMIN}/groups/edit/{county.pk}/']")[0]
    assert name.text_content().strip().endswith("农安县")
    site = screen_tree.site
    site_links = {
        link.text_content().strip(): link.get("href")
        for link in tree.xpath(f"//tr[.//a[@href='{ADMIN}/groups/edit/{site.pk}/']]//a")
    }
    screen = paired_screen.screen.pk
    assert site_links["播放预览"] == f"{ADMIN}/preview/?screen={screen}"
    assert site_links["本组大屏"] == f"{ADMIN}/screens/?group={site.pk}"
    assert site_links["远程运维"] == f"{ADMIN}/groups/care/{site.pk}/"
    assert "编辑播放列表" in site_links and "添加下级分组" not in site_links
    county_links = [
        link.text_content().strip()
        for link in tree.xpath(
            f"//tr[.//a[@href='{ADMIN}/groups/edit/{county.pk}/']]//a"
        )
    ]
    assert "下级分组（2）" in county_links and "添加下级分组" in county_links


def test_a_child_group_starts_under_its_parent_one_tier_down(admin_client, screen_tree):
    url = f"{ADMIN}/groups/new/?parent={screen_tree.city.pk}"
    tree = lxml.html.fromstring(admin_client.get(url).content.decode())
    [parent] = tree.xpath("//select[@name='parent']/option[@selected]/@value")
    [tier] = tree.xpath("//select[@name='tier']/option[@selected]/@value")
    assert (int(parent), int(tier)) == (screen_tree.city.pk, 3)
    assert admin_client.get(f"{ADMIN}/groups/new/?parent=x").status_code == 200


def test_groups_with_child_groups_can_be_collapsed_in_place(admin_client, screen_tree):
    text = admin_client.get(f"{ADMIN}/groups/").content.decode()
    tree = lxml.html.fromstring(text)
    county, site = screen_tree.county, screen_tree.site
    [county_row] = tree.xpath(f"//tr[@data-tree-path='{county.path}']")
    [toggle] = county_row.xpath(".//button[@data-tree-toggle]")
    assert toggle.get("data-tree-toggle") == county.path
    assert toggle.get("aria-expanded") == "true"
    [site_row] = tree.xpath(f"//tr[@data-tree-path='{site.path}']")
    assert site_row.get("data-tree-path").startswith(county.path)
    assert not site_row.xpath(".//button[@data-tree-toggle]")  # no groups below
    assert "cms/admin/tree.js" in text
