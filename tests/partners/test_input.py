"""The partner API answers malformed query parameters and addresses with a
4xx JSON answer naming the problem, never a 5xx: impossible or far-off
times, integers beyond any column, and random query strings (Hypothesis).
An item id too long for any column does not match the address at all
(tests/cms/test_row_ids.py)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.partners.test_api import api  # noqa: F401 - the fixture

ITEMS = "/api/partner/items/"
ADVISORIES = "/api/partner/advisories/"
HUGE = str(2**70)


@pytest.fixture
def reader(api, make_feed, make_article):  # noqa: F811 - the fixture imported above
    make_article(title="地震来了怎么办")
    return api(make_feed("mine", access="partner"), rate_limit_per_minute=100_000)


@pytest.mark.parametrize(
    ("url", "params", "field", "message"),
    [
        (ITEMS, {"updated_since": "2026-02-30T00:00:00Z"}, "updated_since", "ISO 8601"),
        (
            ITEMS,
            {"updated_since": "0001-01-01T00:00:00+14:00"},
            "updated_since",
            "应在",
        ),
        (
            ITEMS,
            {"updated_since": "9999-12-31T23:59:59-12:00"},
            "updated_since",
            "应在",
        ),
        (ADVISORIES, {"since": "2026-13-01"}, "since", "ISO 8601"),
        (ADVISORIES, {"since": "2026-01-01T25:00:00"}, "since", "ISO 8601"),
    ],
)
def test_bad_times_are_a_400_naming_the_parameter(reader, url, params, field, message):
    response = reader.get(url, params)
    assert response.status_code == 400
    assert message in str(response.json()[field])


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (f"{ITEMS}{2**31}/", {}),
        (f"{ITEMS}{'9' * 18}/", {}),
        (ITEMS, {"page": HUGE}),
        (ITEMS, {"page": "-1"}),
        (ITEMS, {"page_size": HUGE}),
        (ADVISORIES, {"since": "2026-01-01T00:00:00Z", "page": HUGE}),
    ],
)
def test_integers_beyond_any_column_are_not_an_error(reader, url, params):
    response = reader.get(url, params)
    assert response.status_code in (200, 404)
    assert response["Content-Type"] == "application/json"


query_values = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.datetimes().map(lambda moment: moment.isoformat()),
)
queries = st.dictionaries(
    st.sampled_from(["updated_since", "since", "kind", "feed", "page", "page_size"]),
    query_values,
    max_size=4,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(url=st.sampled_from([ITEMS, ADVISORIES, f"{ITEMS}1/"]), params=queries)
def test_random_queries_never_fail(reader, url, params):
    response = reader.get(url, params)
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"] == "application/json"
