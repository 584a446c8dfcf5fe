"""With DEBUG off a visitor who is not signed in gets the Chinese error
pages, from Wagtail's pages and from Django's own views alike, and a server
error is logged with its traceback."""

import pytest
from django.test import Client
from django.urls import include, path


def fail(request):
    raise RuntimeError("渲染失败")


urlpatterns = [path("fail/", fail), path("", include("cms.urls"))]


@pytest.fixture
def visitor(settings, db):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    return Client(raise_request_exception=False)


def test_a_server_error_gives_the_chinese_500_page_and_a_logged_traceback(
    visitor, caplog
):
    response = visitor.get("/fail/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器出错了" in page and "RuntimeError" not in page
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info[0] is RuntimeError


@pytest.mark.parametrize(
    "address", ["/no-such-page/", "/documents/999999/nothing.pdf", "/search/x/"]
)
def test_a_missing_address_gives_the_chinese_404_page(visitor, home, address):
    response = visitor.get(address)
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
