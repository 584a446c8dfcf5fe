"""The one reader of untrusted JSON (cms.json_input): every malformed body or
field is a BadInput with a Chinese message, never another exception."""

import re
from datetime import UTC, date, datetime

import pytest
from django.test import RequestFactory

from cms.json_input import (
    MAX_DEPTH,
    BadInput,
    day,
    fields,
    integer,
    moment,
    number,
    parse_json,
    read_json,
)
from screens.models import Heartbeat, PlaylistItem

EARLIEST = datetime(2026, 1, 1, tzinfo=UTC)
LATEST = datetime(2027, 1, 1, tzinfo=UTC)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (nested(8000), "JSON 嵌套超过 32 层"),
        (nested(MAX_DEPTH + 1), "JSON 嵌套超过 32 层"),
        ('{"a": ' * 40 + "1" + "}" * 40, "JSON 嵌套超过 32 层"),
        ('{"seconds": NaN}', "JSON 中不接受 NaN"),
        ("[-Infinity]", "JSON 中不接受 -Infinity"),
        ("[1e999]", "JSON 中的数 1e999 超出范围"),
        ("[" + "9" * 5000 + "]", "JSON 中的数超出范围"),
        ("{not json", "不是有效的 JSON"),
        (b"\xff\xfe", "不是有效的 JSON"),
    ],
)
def test_malformed_json_is_refused_with_its_problem(raw, message):
    with pytest.raises(BadInput) as refused:
        parse_json(raw)
    assert str(refused.value) == message


def test_json_as_deep_as_allowed_is_read():
    assert parse_json(nested(MAX_DEPTH))[0] is not None
    assert parse_json('{"a": [1.5, "[[[[", {"b": null}]}') == {
        "a": [1.5, "[[[[", {"b": None}]
    }


def test_a_body_over_its_limit_is_refused_before_it_is_read():
    factory = RequestFactory()
    request = factory.post("/", b"[" + b"0," * 600 + b"0]", "application/json")
    with pytest.raises(BadInput, match="请求体超过 1024 字节"):
        read_json(request, 1024)
    lying = factory.post("/", b"[]", "application/json", CONTENT_LENGTH="x")
    with pytest.raises(BadInput, match="Content-Length 无效"):
        read_json(lying, 1024)


def test_unknown_and_missing_fields_are_named():
    with pytest.raises(BadInput, match="心跳 含有未知字段：a, b"):
        fields({"a": 1, "b": 2, "v": 3}, {"v"}, set(), "心跳")
    with pytest.raises(BadInput, match="心跳 缺少字段：v"):
        fields({}, {"v"}, {"v"}, "心跳")
    with pytest.raises(BadInput, match="心跳 应为 JSON 对象"):
        fields([], {"v"}, set(), "心跳")


@pytest.mark.django_db
@pytest.mark.parametrize("value", [2**63, -1, True, 2.0, "3", None])
def test_integers_must_fit_the_column(value):
    column = Heartbeat._meta.get_field("storage_free_bytes")
    with pytest.raises(BadInput, match="storage_free_bytes 应为 0 到 "):
        integer(value, "storage_free_bytes", column)
    assert integer(2**63 - 1, "n", column) == 2**63 - 1


@pytest.mark.django_db
def test_an_id_must_be_positive_and_fit_the_key():
    with pytest.raises(BadInput, match="item 应为 1 到 "):
        integer(0, "item", PlaylistItem._meta.pk, minimum=1)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -0.5, 11, "1"])
def test_numbers_stay_in_their_range(value):
    with pytest.raises(BadInput, match="seconds 应为 0 到 10 之间的数"):
        number(value, "seconds", 0, 10)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-02-30T10:00:00+08:00", "应为 ISO 8601 时间"),
        ("2026-06-01T10:00:00+99:00", "应为 ISO 8601 时间"),
        ("yesterday", "应为 ISO 8601 时间"),
        (20260601, "应为 ISO 8601 时间"),
        ("2026-06-01T10:00:00", "应带时区"),
        ("0001-01-01T00:00:00+14:00", "应在 2026-01-01T00:00:00+00:00 到"),
        ("9999-12-31T23:59:59-12:00", "应在 2026-01-01T00:00:00+00:00 到"),
    ],
)
def test_impossible_naive_or_far_off_times_are_refused(value, message):
    with pytest.raises(BadInput, match=re.escape(message)):
        moment(value, "started_at", EARLIEST, LATEST)


def test_a_naive_time_is_read_in_the_given_zone():
    read = moment("2026-06-01T10:00:00", "since", EARLIEST, LATEST, naive_in=UTC)
    assert read == datetime(2026, 6, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("value", ["2026-02-30", "0001-01-01", "明天", None])
def test_days_must_exist_and_be_in_range(value):
    with pytest.raises(BadInput, match="^date 应"):
        day(value, "date", date(2000, 1, 1), date(2100, 12, 31))
