"""Outlets and placements refuse impossible settings with Chinese messages."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from channels.models import Outlet, Placement


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


@pytest.mark.parametrize(
    ("channel", "spec", "message"),
    [
        ("newspaper", {"target_chars": -100}, "目标字数必须大于 0"),
        ("newspaper", {"target_chars": 1200, "tolerance": 1500}, "字数浮动"),
        ("newspaper", {"byline_format": "本报记者"}, "{author}"),
        ("radio", {"slot_seconds": 0}, "时段长度必须大于 0 秒"),
        ("radio", {"chars_per_minute": 5000}, "语速"),
        ("radio", {"loudness_target": "loud"}, "未知的响度标准「loud」"),
        ("radio", {"slot": 300}, ""),
    ],
)
def test_impossible_specs_are_named(db, channel, spec, message):
    outlet = Outlet(name="测试", channel=channel, organisation="某台", spec=spec)
    if not message:
        outlet.full_clean()  # unknown keys are ignored, defaults apply
        return
    assert message in " ".join(errors_of(outlet)["spec"])


def test_spec_defaults_apply(make_outlet):
    spec = make_outlet("radio", spec={"slot_seconds": 300}).parsed_spec
    assert (spec.slot_seconds, spec.chars_per_minute, spec.loudness_target) == (
        300,
        240,
        "gy_t_282",
    )


@pytest.mark.parametrize(
    ("delivery", "target", "secret", "message"),
    [
        ("folder", "relative/path", "", "绝对路径"),
        ("webhook", "ftp://example.org", "s", "https://"),
        ("webhook", "https://example.org/hook", "", "签名密钥"),
        ("email", "desk@example.org, not-an-address", "", "not-an-address"),
        ("sftp", "/drop", "", "sftp://"),
    ],
)
def test_bad_delivery_settings_are_named(db, delivery, target, secret, message):
    outlet = Outlet(
        name="测试",
        channel="newspaper",
        organisation="某报",
        delivery=delivery,
        delivery_target=target,
        delivery_secret=secret,
    )
    assert message in " ".join(errors_of(outlet)["delivery_target"])


def test_placement_in_the_past_is_refused(make_article, make_outlet):
    placement = Placement(
        page=make_article(),
        outlet=make_outlet(),
        scheduled_at=timezone.now() - timedelta(hours=1),
    )
    assert errors_of(placement)["scheduled_at"] == ["刊播时间已经过去"]


def test_placement_of_an_unreviewed_page_is_refused(make_article, make_outlet):
    draft = make_article(publish=False)
    placement = Placement(
        page=draft,
        outlet=make_outlet(),
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    assert "未通过科学性审核" in errors_of(placement)["page"][0]


def test_placement_waits_for_a_page_scheduled_to_go_live_before_it(
    make_article, make_outlet
):
    page = make_article(go_live_at=timezone.now() + timedelta(days=1))
    outlet = make_outlet()
    early = Placement(
        page=page, outlet=outlet, scheduled_at=timezone.now() + timedelta(hours=1)
    )
    assert "page" in errors_of(early)
    late = Placement(
        page=page, outlet=outlet, scheduled_at=timezone.now() + timedelta(days=2)
    )
    late.full_clean()


def test_two_placements_of_one_item_on_one_outlet_at_one_time_are_refused(
    make_article, make_outlet, make_placement
):
    page, outlet = make_article(), make_outlet()
    first = make_placement(page, outlet)
    twin = Placement(page=page, outlet=outlet, scheduled_at=first.scheduled_at)
    assert errors_of(twin)["__all__"] == ["该内容已在这个渠道的同一时间排期"]
