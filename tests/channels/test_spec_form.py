"""An outlet's 渠道参数 as a form: every channel's settings with Chinese
labels, units and defaults; saving an untouched form stores exactly what was
stored; each impossible value named at its input."""

import lxml.html
import pytest
from django.http import QueryDict
from django.urls import reverse

from channels.models import Outlet
from channels.registry import get_adapter

STORED = [
    ("newspaper", {}),
    ("newspaper", {"target_chars": 500, "tolerance": 150, "page_label": "第7版"}),
    ("radio", {"slot_seconds": 180, "loudness_target": "ebu_r128"}),
    (
        "short_video",
        {
            "platform": "bilibili",
            "account": "科普吉林",
            "topics": ["科普", "防灾减灾"],
            "require_subtitles": True,
            "title_chars": 30,
        },
    ),
    ("big_screen", {"duration_seconds": 30}),
]


def edit_url(outlet) -> str:
    return reverse("channel_outlets:edit", args=(outlet.pk,))


def posted_form(html: str) -> QueryDict:
    """What a browser posts for the outlet form as rendered (disabled
    fieldsets and unchecked boxes post nothing)."""
    form = lxml.html.fromstring(html).xpath("//form[.//*[@data-outlet-spec]]")[0]
    data = QueryDict(mutable=True)
    for element in form.xpath(".//input | .//select | .//textarea"):
        name = element.get("name")
        if not name or element.xpath("ancestor::fieldset[@disabled]"):
            continue
        if element.tag == "select":
            chosen = element.xpath("./option[@selected]/@value")
            data.appendlist(name, chosen[0] if chosen else "")
        elif element.get("type") in ("checkbox", "radio"):
            if element.get("checked") is not None:
                data.appendlist(name, element.get("value", "on"))
        elif element.tag == "textarea":
            data.appendlist(name, element.text or "")
        else:
            data.appendlist(name, element.get("value", ""))
    return data


@pytest.mark.parametrize(("channel", "spec"), STORED)
def test_saving_an_untouched_form_keeps_the_stored_settings(
    admin_client, make_outlet, channel, spec
):
    outlet = make_outlet(channel, spec=spec)
    html = admin_client.get(edit_url(outlet)).content.decode()
    assert "{&quot;" not in html and "<textarea" not in html.split("spec")[1][:200]
    response = admin_client.post(edit_url(outlet), posted_form(html))
    assert response.status_code == 302, response.content.decode()[-3000:]
    outlet.refresh_from_db()
    assert outlet.spec == spec


def test_settings_changed_in_the_form_are_stored_as_the_channel_reads_them(
    admin_client, make_outlet
):
    outlet = make_outlet("short_video", spec={"platform": "douyin"})
    data = posted_form(admin_client.get(edit_url(outlet)).content.decode())
    data["spec-short_video-topics"] = "#科普， 应急科普、台风"
    data["spec-short_video-max_topics"] = "3"
    data["spec-short_video-require_subtitles"] = "on"
    assert admin_client.post(edit_url(outlet), data).status_code == 302
    outlet.refresh_from_db()
    assert outlet.spec == {
        "platform": "douyin",
        "topics": ["科普", "应急科普", "台风"],
        "max_topics": 3,
        "require_subtitles": True,
    }
    assert list(outlet.parsed_spec.topics) == ["科普", "应急科普", "台风"]


@pytest.mark.parametrize(
    ("setting", "typed", "message"),
    [
        ("target_chars", "一千二", "目标字数应为整数"),
        ("target_chars", "0", "目标字数必须大于 0"),
        ("tolerance", "2000", "字数浮动必须在 0 和目标字数之间"),
        ("byline_format", "本报记者", "署名格式须包含 {author}"),
        ("readers_per_copy", "两个半", "每份读者数应为数字"),
        ("readers_per_copy", "0", "每份读者数应大于 0、不超过 20"),
        ("circulation", "-5", "发行量不能为负"),
    ],
)
def test_an_impossible_value_is_named_at_its_input_and_kept(
    admin_client, make_outlet, setting, typed, message
):
    outlet = make_outlet("newspaper", spec={"target_chars": 1200})
    data = posted_form(admin_client.get(edit_url(outlet)).content.decode())
    data[f"spec-newspaper-{setting}"] = typed
    response = admin_client.post(edit_url(outlet), data)
    assert response.status_code == 200
    tree = lxml.html.fromstring(response.content.decode())
    name = f"spec-newspaper-{setting}"
    [wrapper] = tree.xpath(
        f"//div[contains(@class, 'outlet-spec__setting')][.//*[@name='{name}']]"
    )
    assert message in wrapper.text_content()
    [field] = wrapper.xpath(f".//*[@name='{name}']")
    assert field.get("value") == typed
    outlet.refresh_from_db()
    assert outlet.spec == {"target_chars": 1200}


def test_a_new_outlet_takes_the_settings_of_the_channel_chosen(admin_client):
    html = admin_client.get(reverse("channel_outlets:add")).content.decode()
    data = posted_form(html)
    data.update({"name": "科学五分钟", "organisation": "FM 91.6", "channel": "radio"})
    data.update({"cadence": "weekly", "delivery": "none", "active": "on"})
    data.update({"spec-radio-stored": "", "spec-radio-slot_seconds": "240"})
    data.update({"spec-radio-chars_per_minute": "240", "spec-radio-host": "主持人"})
    data.update({"spec-radio-loudness_target": "gy_t_282"})
    data.update({"spec-radio-audience": "0", "spec-radio-audience_source": ""})
    assert admin_client.post(reverse("channel_outlets:add"), data).status_code == 302
    assert Outlet.objects.get(name="科学五分钟").spec == {"slot_seconds": 240}


def test_a_circulation_and_readers_per_copy_are_stored_as_numbers(
    admin_client, make_outlet
):
    outlet = make_outlet("newspaper", spec={"target_chars": 1200})
    data = posted_form(admin_client.get(edit_url(outlet)).content.decode())
    data["spec-newspaper-circulation"] = "86000"
    data["spec-newspaper-readers_per_copy"] = "2.8"
    data["spec-newspaper-circulation_source"] = "2026 年发行量核验"
    assert admin_client.post(edit_url(outlet), data).status_code == 302
    outlet.refresh_from_db()
    assert outlet.spec == {
        "target_chars": 1200,
        "circulation": 86000,
        "readers_per_copy": 2.8,
        "circulation_source": "2026 年发行量核验",
    }
    estimate = get_adapter("newspaper").audience_estimate(outlet.parsed_spec)
    assert estimate.people == 240_800 and estimate.sourced
