"""The one conditional GET and the one Bearer parser every app answers with."""

from datetime import UTC, datetime

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from cms.http import bearer_token, conditional

ETAG = '"v1"'
MODIFIED = datetime(2025, 3, 1, 8, 30, 15, 600_000, tzinfo=UTC)


def answer(respond=lambda: HttpResponse("body"), **headers) -> HttpResponse:
    request = RequestFactory().get("/", headers=headers)
    return conditional(request, respond, etag=ETAG, last_modified=MODIFIED)


def test_a_fresh_request_gets_the_body_with_its_validators():
    response = answer()
    assert (response.status_code, response.content) == (200, b"body")
    assert response["ETag"] == ETAG
    assert response["Last-Modified"] == "Sat, 01 Mar 2025 08:30:15 GMT"


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": ETAG},
        {"If-None-Match": f'"other", {ETAG}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": "Sat, 01 Mar 2025 08:30:15 GMT"},
    ],
)
def test_a_matching_request_gets_304_without_building_the_body(headers):
    def respond():
        raise AssertionError("the body is built only when it is sent")

    response = answer(respond, **headers)
    assert (response.status_code, response.content) == (304, b"")
    assert response["ETag"] == ETAG


def test_a_changed_resource_is_sent_again():
    assert answer(**{"If-None-Match": '"v0"'}).status_code == 200
    since = {"If-Modified-Since": "Sat, 01 Mar 2025 08:30:14 GMT"}
    assert answer(**since).status_code == 200


def test_an_error_the_view_returns_carries_no_validators():
    response = answer(lambda: HttpResponse(status=416))
    assert response.status_code == 416
    assert not response.has_header("ETag")
    assert not response.has_header("Last-Modified")


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("Bearer kp_abc", "kp_abc"),
        ("bearer  kp_abc ", "kp_abc"),
        ("Bearer ", None),
        ("Basic kp_abc", None),
        ("kp_abc", None),
    ],
)
def test_bearer_token_reads_only_a_bearer_header(header, token):
    headers = {"Authorization": header} if header is not None else {}
    assert bearer_token(RequestFactory().get("/", headers=headers)) == token
