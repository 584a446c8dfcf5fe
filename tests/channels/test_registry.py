"""Adding a channel is one module and one registry line."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from channels.base import ChannelAdapter, Package, Problem
from channels.models import Placement
from channels.queue import enqueue_due_placements
from channels.registry import channel_choices, get_adapter, register, unregister
from tests.conftest import make_due


class PosterAdapter(ChannelAdapter):
    """A throw-away channel: a one-line poster text."""

    key = "poster"
    label = "海报"

    def check(self, item, outlet):
        return [] if len(item.title) <= 20 else [Problem("too_long", "标题太长")]

    def render(self, item, outlet):
        package = Package(summary={"title": item.title})
        package.add("poster.txt", f"【{item.title}】", "text/plain; charset=utf-8")
        return package


@pytest.fixture
def poster_channel():
    register(PosterAdapter)
    yield PosterAdapter
    unregister(PosterAdapter.key)


def test_a_registered_adapter_becomes_a_channel_that_renders(
    poster_channel, make_outlet, make_article, make_placement
):
    assert ("poster", "海报") in channel_choices()
    outlet = make_outlet("poster", name="社区海报栏", organisation="社区")
    placement = make_placement(make_article(), outlet)
    make_due(placement)

    enqueue_due_placements(timezone.now())

    placement.refresh_from_db()
    assert placement.status == Placement.Status.DELIVERED
    [output] = placement.outputs.all()
    assert output.file.read().decode() == "【疫苗是怎样起作用的】"


def test_a_channel_key_registers_once(poster_channel):
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        register(PosterAdapter)


def test_an_unknown_channel_is_named():
    with pytest.raises(ImproperlyConfigured, match="no channel adapter 'fax'"):
        get_adapter("fax")


def test_an_adapter_without_render_says_so(make_article, make_outlet):
    class Incomplete(ChannelAdapter):
        key = "incomplete"
        label = "不完整"

    with pytest.raises(ImproperlyConfigured, match="Incomplete must define render"):
        Incomplete().render(make_article(), None)
