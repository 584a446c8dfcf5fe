"""Every door of the screens' API answers malformed input with 400 JSON whose
Chinese message names the problem, and never a 5xx: the named faults one by
one, then random JSON on every endpoint (Hypothesis)."""

import json
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screens.models import Heartbeat, PlayRecord

PAIR = "/api/screens/pair/"
PAIR_STATUS = "/api/screens/pair/status/"
HEARTBEAT = "/api/screens/heartbeat/"
PLAYS = "/api/screens/plays/"
DEEP = "[" * 8000 + "]" * 8000
BEYOND_BIGINT = 2**63


@pytest.fixture(autouse=True)
def fresh_pairing_budget():
    cache.clear()


def post(client, url, body, **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(url, data, content_type="application/json", **headers)


def refused(response, message: str) -> bool:
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"], response.json()["error"]
    return True


def play(item, **fields) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "item": item,
        "started_at": timezone.localtime().isoformat(),
        "seconds": 12.5,
        **fields,
    }


def ago(**delta) -> str:
    return (timezone.localtime() - timedelta(**delta)).isoformat()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (DEEP, "请求体超过 1024 字节"),
        ("[" * 400 + "]" * 400, "JSON 嵌套超过 32 层"),
        ("{", "不是有效的 JSON"),
        ('{"code": NaN, "secret": "s"}', "JSON 中不接受 NaN"),
        ({"code": 123456, "secret": "s"}, "code 应为不超过 100 字的文本"),
        ({"code": "ABCDEF"}, "请求体 缺少字段：secret"),
        ({"code": "ABCDEF", "secret": "s", "screen": 1}, "请求体 含有未知字段：screen"),
    ],
)
def test_pair_status_refuses_a_malformed_body(client, db, body, message):
    assert refused(post(client, PAIR_STATUS, body), message)


@pytest.mark.parametrize(
    ("body", "message"),
    [(DEEP, "请求体超过 1024 字节"), ("[" * 100 + "]" * 100, "JSON 嵌套超过 32 层")],
)
def test_pair_refuses_a_malformed_body(client, db, body, message):
    assert refused(post(client, PAIR, body), message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (DEEP, "JSON 嵌套超过 32 层"),
        ("[" * 33 + "]" * 33, "JSON 嵌套超过 32 层"),
        (b"\xff{}", "不是有效的 JSON"),
        ('{"version": "v", "storage_free_bytes": Infinity}', "JSON 中不接受 Infinity"),
        ({"version": "v", "playing": BEYOND_BIGINT}, "playing 应为 1 到 "),
        ({"version": "v", "emergency": BEYOND_BIGINT}, "emergency 应为 1 到 "),
        ({"version": "v", "storage_free_bytes": BEYOND_BIGINT}, "storage_free_bytes"),
        ({"version": "v", "storage_free_bytes": 1.5}, "storage_free_bytes 应为 0 到"),
        ({"version": "v", "errors": [{"item": -3, "message": "x"}]}, "item 应为 1 到"),
        ({"version": "v", "errors": [{"message": "x"}] * 51}, "errors 应为不超过 50"),
        ({"version": ["v"]}, "version 应为不超过 40 字的文本"),
        ({"version": "v", "loop": 7}, "loop 应为不超过 80 字的文本"),
        ({"version": "v", "surprise": 1}, "心跳 含有未知字段：surprise"),
        ({"version": "v", "pad": "x" * 270_000}, "请求体超过 262144 字节"),
    ],
)
def test_heartbeat_refuses_a_malformed_body(client, paired_screen, body, message):
    response = post(client, HEARTBEAT, body, **paired_screen.headers)
    assert refused(response, message)
    assert not Heartbeat.objects.exists()


BAD_PLAYS = [
    ({"started_at": "2026-02-30T10:00:00+08:00"}, "started_at 应为 ISO 8601 时间"),
    ({"started_at": "2026-06-01T10:00:00"}, "started_at 应带时区"),
    ({"started_at": "0001-01-01T00:00:00+14:00"}, "started_at 应在"),
    ({"started_at": ago(days=91)}, "started_at 应在"),
    ({"started_at": ago(hours=-2)}, "started_at 应在"),
    ({"started_at": "9999-12-31T23:59:59-12:00"}, "started_at 应在"),
    ({"item": BEYOND_BIGINT}, "item 应为 1 到 "),
    ({"item": None, "emergency": BEYOND_BIGINT}, "emergency 应为 1 到 "),
    ({"item": 1.0}, "item 应为 1 到 "),
    ({"seconds": 1e300}, "seconds 应为 0 到 86400 之间的数"),
    ({"seconds": None}, "seconds 应为 0 到 86400 之间的数"),
    ({"id": 12}, "id 应为 UUID"),
    ({"screen": 3}, "plays 的每一项 含有未知字段：screen"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_PLAYS)
def test_plays_refuse_a_malformed_play(
    client, paired_screen, screen_loop, bad, message
):
    bad_play = {**play(screen_loop.card.pk), **bad}
    body = {"plays": [play(screen_loop.video.pk), bad_play]}
    assert refused(post(client, PLAYS, body, **paired_screen.headers), message)
    assert not PlayRecord.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (DEEP, "JSON 嵌套超过 32 层"),
        ('{"plays": [{"seconds": NaN}]}', "JSON 中不接受 NaN"),
        ('{"plays": [1e400]}', "JSON 中的数 1e400 超出范围"),
        ({"plays": {"id": 1}}, "plays 应为不超过 500 项的列表"),
        ({"plays": [], "screen": 1}, "请求体 含有未知字段：screen"),
        ({"plays": [["x"]]}, "plays 的每一项 应为 JSON 对象"),
    ],
)
def test_plays_refuse_a_malformed_body(client, paired_screen, body, message):
    assert refused(post(client, PLAYS, body, **paired_screen.headers), message)


def test_too_many_plays_in_one_batch_are_refused(client, paired_screen, screen_loop):
    body = {"plays": [play(screen_loop.video.pk) for _ in range(501)]}
    response = post(client, PLAYS, body, **paired_screen.headers)
    assert refused(response, "plays 应为不超过 500 项的列表")


def test_a_recent_play_with_an_offset_clock_is_still_taken(
    client, paired_screen, screen_loop
):
    body = {"plays": [play(screen_loop.video.pk, started_at=ago(days=80))]}
    response = post(client, PLAYS, body, **paired_screen.headers)
    assert response.json() == {"stored": 1, "duplicates": 0}


# Random bodies ------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
moments = st.one_of(
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.from_regex(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?([+-]\d\d:\d\d|Z)?\Z"),
    json_values,
)
ids = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), json_values)
heartbeats = st.fixed_dictionaries(
    {"version": st.one_of(st.text(max_size=50), json_values)},
    optional={
        "playing": ids,
        "emergency": ids,
        "loop": json_values,
        "storage_free_bytes": ids,
        "errors": st.lists(
            st.fixed_dictionaries({"message": json_values}, optional={"item": ids}),
            max_size=3,
        )
        | json_values,
    },
)
beat_batches = st.fixed_dictionaries(
    {
        "beats": st.lists(
            st.builds(lambda beat, at: {**beat, "at": at}, heartbeats, moments),
            max_size=3,
        )
        | json_values
    }
)
plays = st.fixed_dictionaries(
    {
        "plays": st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.uuids().map(str) | json_values,
                    "started_at": moments,
                    "seconds": json_values,
                },
                optional={"item": ids, "emergency": ids},
            ),
            max_size=3,
        )
    }
)
raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.integers(min_value=1, max_value=9000).map(lambda n: "[" * n + "]" * n),
    json_values.map(json.dumps),
)
HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def never_fails(response) -> None:
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]


@HYPOTHESIS
@given(body=st.one_of(raw_bodies, json_values.map(json.dumps)))
def test_random_bodies_never_fail_the_pairing_doors(client, db, body):
    cache.clear()
    never_fails(post(client, PAIR, body))
    never_fails(post(client, PAIR_STATUS, body))


@HYPOTHESIS
@given(
    body=st.one_of(raw_bodies, heartbeats.map(json.dumps), beat_batches.map(json.dumps))
)
def test_random_bodies_never_fail_the_heartbeat(client, paired_screen, body):
    never_fails(post(client, HEARTBEAT, body, **paired_screen.headers))


@HYPOTHESIS
@given(body=st.one_of(raw_bodies, plays.map(json.dumps)))
def test_random_bodies_never_fail_the_plays(client, paired_screen, screen_tree, body):
    never_fails(post(client, PLAYS, body, **paired_screen.headers))
