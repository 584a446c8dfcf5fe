"""The 渠道 admin: outlets, placements (from the admin and from a page's
发布到渠道), a placement's history and files, and the channel previews."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from channels.models import Outlet, OutputFile, Placement
from tests.channels.helpers import local, preview

ADD_OUTLET = reverse("channel_outlets:add")
ADD_PLACEMENT = reverse("channel_placements:add")


def outlet_data(**overrides) -> dict:
    return {
        "name": "求证·科学",
        "organisation": "吉林日报",
        "channel": "newspaper",
        "spec": '{"target_chars": 1200, "tolerance": 100}',
        "cadence": "weekly",
        "cadence_weekdays": ["4"],
        "cadence_time": "07:30",
        "delivery": "none",
        "active": "on",
        **overrides,
    }


def test_outlet_is_created_with_its_spec_and_weekdays(admin_client):
    response = admin_client.post(ADD_OUTLET, outlet_data())
    assert response.status_code == 302
    outlet = Outlet.objects.get(name="求证·科学")
    assert outlet.parsed_spec.target_chars == 1200
    assert outlet.cadence_weekdays == [4]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ('{"target_chars": -100}', "目标字数必须大于 0"),
        ('{"target_char": 1200}', "未知参数：target_char"),
        ('{"target_chars": "一千二"}', "目标字数应为整数"),
        ("[1200]", "渠道参数必须是 JSON 对象"),
    ],
)
def test_outlet_with_a_bad_spec_is_refused_in_chinese(admin_client, spec, message):
    response = admin_client.post(ADD_OUTLET, outlet_data(spec=spec))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Outlet.objects.exists()


def test_outlet_edit_offers_its_channels_settings_and_refuses_an_impossible_one(
    admin_client, make_outlet
):
    outlet = make_outlet("radio", name="科学五分钟")
    url = reverse("channel_outlets:edit", args=(outlet.pk,))
    html = admin_client.get(url).content.decode()
    assert "时段长度（秒）" in html and "语速（字/分钟）" in html
    assert (
        'name="spec-radio-slot_seconds" type="text" inputmode="numeric" value="300"'
        in html
    )
    # The newspaper's settings wait, hidden and not posted, for its choice.
    newspaper = 'data-spec-channel="newspaper" hidden disabled>'
    assert newspaper in html

    data = outlet_data(name="科学五分钟", channel="radio", spec='{"slot_seconds": 0}')
    response = admin_client.post(url, data)
    assert "时段长度必须大于 0 秒" in response.content.decode()
    outlet.refresh_from_db()
    assert outlet.spec == {}


def test_outlet_list_shows_channel_and_target(admin_client, make_outlet):
    make_outlet("radio", name="科学五分钟", annual_target=48)
    html = admin_client.get(reverse("channel_outlets:index")).content.decode()
    assert "科学五分钟" in html
    assert "广播" in html
    assert "48" in html


@pytest.fixture
def outlet(make_outlet):
    return make_outlet(name="求证·科学", cadence_weekdays=[4])


def test_page_editor_offers_publish_to_channels(admin_client, make_article):
    article = make_article()
    html = admin_client.get(
        reverse("wagtailadmin_pages:edit", args=(article.pk,))
    ).content.decode()
    assert "发布到渠道" in html
    assert f"{ADD_PLACEMENT}?page={article.pk}" in html


def test_publish_to_channels_is_not_offered_on_a_section(admin_client, articles_index):
    url = reverse("wagtailadmin_pages:edit", args=(articles_index.pk,))
    assert "发布到渠道" not in admin_client.get(url).content.decode()


def test_page_listing_offers_publish_to_channels_for_content(
    admin_client, make_article, articles_index
):
    article = make_article()
    html = admin_client.get(
        reverse("wagtailadmin_explore", args=(articles_index.pk,))
    ).content.decode()
    assert f"{ADD_PLACEMENT}?page={article.pk}" in html


def test_placement_form_has_the_page_chosen_and_lists_its_placements(
    admin_client, make_article, outlet, make_placement
):
    article = make_article(title="流感季如何保护老人")
    make_placement(article, outlet, timezone.now() + timedelta(days=3))
    html = admin_client.get(
        f"{ADD_PLACEMENT}?page={article.pk}&outlet=not-a-number"
    ).content.decode()
    assert "「流感季如何保护老人」已有的渠道排期" in html
    assert "求证·科学" in html
    assert f'value="{article.pk}"' in html


def test_placement_created_in_the_admin_records_who_and_warns_of_problems(
    admin_client, admin_user, make_article, outlet
):
    article = make_article()
    when = timezone.now() + timedelta(days=2)
    response = admin_client.post(
        f"{ADD_PLACEMENT}?page={article.pk}",
        {"page": article.pk, "outlet": outlet.pk, "scheduled_at": local(when)},
        follow=True,
    )
    placement = Placement.objects.get()
    assert (placement.page_id, placement.outlet, placement.created_by) == (
        article.pk,
        outlet,
        admin_user,
    )
    event = placement.events.get()
    assert (event.status, event.user, event.note) == ("planned", admin_user, "创建排期")
    # The article is far shorter than the column: saved, with a warning.
    assert "交付前需解决：稿件" in response.content.decode()
    assert "不足版面 1200±100 字" in response.content.decode()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("draft", "尚未发布或未通过科学性审核，不能排期"),
        ("past", "刊播时间已经过去"),
        ("duplicate", "该内容已在这个渠道的同一时间排期"),
        ("section", "只能排期科普文章、科普视频或专栏节目"),
    ],
)
def test_placement_form_refuses_with_the_chinese_message(
    admin_client, make_article, articles_index, outlet, make_placement, case, message
):
    when = timezone.now() + timedelta(days=1)
    page = make_article(publish=case != "draft")
    if case == "duplicate":
        make_placement(page, outlet, when.replace(second=0, microsecond=0))
    if case == "past":
        when = timezone.now() - timedelta(days=1)
    if case == "section":
        page = articles_index
    before = Placement.objects.count()
    response = admin_client.post(
        ADD_PLACEMENT,
        {"page": page.pk, "outlet": outlet.pk, "scheduled_at": local(when)},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Placement.objects.count() == before


def test_editing_a_placement_into_the_past_is_refused(
    admin_client, make_article, outlet, make_placement
):
    placement = make_placement(make_article(), outlet)
    response = admin_client.post(
        reverse("channel_placements:edit", args=(placement.pk,)),
        {
            "page": placement.page_id,
            "outlet": outlet.pk,
            "scheduled_at": local(timezone.now() - timedelta(days=1)),
        },
    )
    assert "刊播时间已经过去" in response.content.decode()


def test_placement_list_shows_status_in_colour_and_filters_by_channel(
    admin_client, make_article, make_episode, outlet, make_outlet, make_placement
):
    make_placement(make_article(title="报纸上的文章"), outlet)
    radio = make_outlet("radio", name="科学五分钟")
    make_placement(make_episode(1, title="广播里的一期"), radio, status="failed")
    index = reverse("channel_placements:index")

    html = admin_client.get(index).content.decode()
    assert "报纸上的文章" in html and "广播里的一期" in html
    assert "background: #b42318" in html  # 失败 in red
    assert "已计划" in html

    radio_only = admin_client.get(f"{index}?channel=radio").content.decode()
    assert "广播里的一期" in radio_only
    assert "报纸上的文章" not in radio_only
    failed = admin_client.get(f"{index}?status=failed").content.decode()
    assert "报纸上的文章" not in failed


def test_placement_detail_shows_history_and_downloads_files(
    admin_client, admin_user, make_article, outlet, make_placement
):
    placement = make_placement(make_article(), outlet)
    placement.record("planned", admin_user, note="创建排期")
    placement.record("failed", note="交付失败：连接超时")
    output = OutputFile(
        placement=placement, name="yimiao.utf8.txt", mime_type="text/plain", size=6
    )
    output.file.save("yimiao.utf8.txt", ContentFile("疫苗".encode()), save=False)
    output.save()

    html = admin_client.get(
        reverse("channel_placements:inspect", args=(placement.pk,))
    ).content.decode()
    assert "状态记录" in html
    assert "交付失败：连接超时" in html
    assert admin_user.username in html
    download = reverse("channel_placements:output", args=(output.pk,))
    assert download in html

    response = admin_client.get(download)
    assert b"".join(response.streaming_content) == "疫苗".encode()
    assert "attachment" in response["Content-Disposition"]


def test_output_download_needs_a_logged_in_editor(
    client, make_article, outlet, make_placement
):
    placement = make_placement(make_article(), outlet)
    output = OutputFile(
        placement=placement, name="a.txt", mime_type="text/plain", size=1
    )
    output.file.save("a.txt", ContentFile(b"a"), save=False)
    output.save()
    response = client.get(reverse("channel_placements:output", args=(output.pk,)))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_newspaper_preview_shows_the_proof_and_its_character_count(
    admin_client, make_article, outlet
):
    article = make_article()
    html = preview(admin_client, article, "科" * 1200, "newspaper")
    assert "按「求证·科学」（吉林日报）的参数" in html
    assert "疫苗是怎样起作用的" in html  # the proof's headline
    assert "<dd>1216</dd>" in html  # standfirst 16 + body 1 200
    assert "<dd>1218</dd>" in html  # with the standfirst's two marks
    assert "符合渠道要求" in html


def test_newspaper_preview_without_outlets_uses_the_default_spec_and_warns(
    admin_client, make_article
):
    html = preview(admin_client, make_article(), "短稿。", "newspaper")
    assert "没有启用的报纸渠道，按默认参数" in html
    assert "1200 ± 100" in html
    assert "不足版面 1200±100 字" in html


def test_radio_preview_shows_the_timed_script_and_its_duration(
    admin_client, make_article, make_outlet
):
    make_outlet("radio", name="科学五分钟", spec={"slot_seconds": 120})
    html = preview(admin_client, make_article(), "科" * 480, "radio")
    assert "按「科学五分钟」（FM 91.6）的参数" in html
    assert "主持人：欢迎收听。今天的话题：疫苗是怎样起作用的。" in html
    # greeting 4 s + standfirst 4 s + body 120 s + credit 2 s at 240 字/分钟
    assert '<dd class="over">02:10</dd>' in html
    assert "超出 120 秒的时段" in html


def test_web_preview_is_still_the_page(admin_client, make_article):
    html = preview(admin_client, make_article(), "保持冷静。", "")
    assert "保持冷静。" in html
    assert "预计时长" not in html


def test_a_delivered_placement_without_files_does_not_promise_them(
    admin_client, make_article, make_outlet, make_placement
):
    placement = make_placement(make_article(), make_outlet())
    Placement.objects.filter(pk=placement.pk).update(status=Placement.Status.DELIVERED)
    url = reverse("channel_placements:inspect", args=(placement.pk,))
    html = admin_client.get(url).content.decode()
    assert "这次交付没有保存文件" in html and "尚未生成文件" not in html
