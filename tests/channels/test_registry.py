"""Adding a channel is one module and one registry line: the throw-away
channel in tests/channels/poster/ is planned, shown on the calendar in its
colour, previewed in the page editor, checked, rendered and delivered, with
nothing else edited."""

import sys
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from channels import registry
from channels.base import ChannelAdapter
from channels.models import Placement
from channels.queue import enqueue_due_placements
from channels.registry import channel_choices, get_adapter, register
from tests.channels.helpers import day_cell, local, preview
from tests.conftest import make_due

POSTER_MODULE = "tests.channels.poster.adapter"
LONG_TITLE = "疫苗是怎样起作用的：从免疫记忆说起"  # 17 字


@pytest.fixture
def poster_channel(monkeypatch):
    """The one registry line: the module named in adapter_modules."""
    config = apps.get_app_config("channels")
    modules = (*config.adapter_modules, POSTER_MODULE)
    monkeypatch.setattr(config, "adapter_modules", modules)
    # Registered into a copy of the registry, which the test's end discards.
    monkeypatch.setattr(registry, "_adapters", dict(registry._adapters))
    config.ready()
    yield get_adapter("poster")
    sys.modules.pop(POSTER_MODULE, None)


@pytest.fixture
def poster_outlet(poster_channel, make_outlet, tmp_path):
    return make_outlet(
        "poster",
        name="社区海报栏",
        organisation="幸福社区",
        spec={"max_title_chars": 12},
        delivery="folder",
        delivery_target=str(tmp_path / "drop"),
    )


def test_a_channel_module_and_its_registry_line_make_a_channel(poster_channel):
    assert ("poster", "海报") in channel_choices()
    assert poster_channel.calendar_colour == "#c2185b"


def test_the_new_channel_is_planned_from_the_page_and_shown_on_the_calendar(
    admin_client, make_article, poster_outlet
):
    article = make_article()
    when = (timezone.now() + timedelta(days=2)).replace(second=0)
    admin_client.post(
        f"{reverse('channel_placements:add')}?page={article.pk}",
        {"page": article.pk, "outlet": poster_outlet.pk, "scheduled_at": local(when)},
    )
    placement = Placement.objects.get(outlet=poster_outlet)
    assert placement.page_id == article.pk

    calendar = reverse("channel_calendar:index")
    html = admin_client.get(f"{calendar}?date={when:%Y-%m-%d}").content.decode()
    cell = day_cell(html, timezone.localtime(when).date())
    assert "社区海报栏" in cell and "--chip: #c2185b" in cell


def test_the_new_channel_is_a_preview_mode_with_its_figures_and_problems(
    admin_client, make_article, poster_outlet
):
    article = make_article(title=LONG_TITLE)
    assert ("poster", "海报样张") in article.preview_modes

    html = preview(admin_client, article, "正文。", "poster")
    assert "按「社区海报栏」（幸福社区）的参数" in html
    assert f'<div class="poster-sheet">【{LONG_TITLE}】</div>' in html
    assert '<dd class="over">17 / 12</dd>' in html
    assert "标题 17 字，超出海报 12 字" in html


def test_the_new_channel_checks_renders_and_delivers(
    make_article, make_placement, poster_outlet, tmp_path
):
    short = make_placement(make_article(title="台风来了怎么办"), poster_outlet)
    long = make_placement(make_article(title=LONG_TITLE), poster_outlet)
    make_due(short)
    make_due(long)

    enqueue_due_placements(timezone.now())

    short.refresh_from_db()
    long.refresh_from_db()
    assert short.status == Placement.Status.DELIVERED
    [output] = short.outputs.all()
    assert output.file.read().decode() == "【台风来了怎么办】"
    delivered = list((tmp_path / "drop").rglob("poster.txt"))
    assert [path.read_text() for path in delivered] == ["【台风来了怎么办】"]
    assert long.status == Placement.Status.FAILED
    assert "标题 17 字，超出海报 12 字" in long.error


def test_a_channel_key_registers_once(poster_channel):
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        register(type(poster_channel))


def test_a_channel_with_a_preview_needs_its_template_beside_it(monkeypatch):
    monkeypatch.setattr(registry, "_adapters", dict(registry._adapters))

    class Sketch(ChannelAdapter):
        key = "sketch"
        label = "速写"
        preview_label = "速写样张"
        preview_template = "no-such-preview.html"

    with pytest.raises(ImproperlyConfigured, match="no no-such-preview.html beside"):
        register(Sketch)


def test_an_unknown_channel_is_named():
    with pytest.raises(ImproperlyConfigured, match="no channel adapter 'fax'"):
        get_adapter("fax")


def test_an_adapter_without_render_says_so(make_article, make_outlet):
    class Incomplete(ChannelAdapter):
        key = "incomplete"
        label = "不完整"

    with pytest.raises(ImproperlyConfigured, match="Incomplete must define render"):
        Incomplete().render(make_article(), None)
