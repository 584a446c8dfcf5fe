"""The partner API's documentation pages: public, in Chinese, drawn from the
schema, and built from our own static files only (no CDN, no web fonts)."""

import json
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

DOCS = "/api/partner/docs/"
SWAGGER = "/api/partner/swagger/"
SCHEMA = "/api/partner/schema/"


class Addresses(HTMLParser):
    """Every address a page makes the browser load or link to."""

    def __init__(self):
        super().__init__()
        self.loaded: list[str] = []
        self.linked: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.loaded.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.loaded.append(attrs["href"])
        if tag == "a" and attrs.get("href"):
            self.linked.append(attrs["href"])


def addresses(html: str) -> Addresses:
    parser = Addresses()
    parser.feed(html)
    return parser


def static_file(address: str) -> str | None:
    return finders.find(address.removeprefix("/static/"))


@pytest.mark.parametrize("address", [DOCS, SWAGGER])
def test_a_docs_page_loads_only_our_own_static_files(client, address):
    response = client.get(address)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html
    loaded = [a for a in addresses(html).loaded if not a.startswith("data:")]
    assert any(a.endswith(".js") for a in loaded)
    for address in loaded:
        assert address.startswith("/static/drf_spectacular_sidecar/"), address
        assert static_file(address), address


def test_the_docs_page_is_chinese_and_reads_the_schema(client):
    html = client.get(DOCS).content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "<title>合作媒体接口文档 · 科普全媒体</title>" in html
    assert f'Redoc.init(\n            "{SCHEMA}",' in html
    links = addresses(html).linked
    assert SWAGGER in links and f"{SCHEMA}?format=json" in links
    options = html.split('<script id="redoc-options" type="application/json">')[1]
    labels = json.loads(options.split("</script>")[0])["labels"]
    assert labels["requestSamples"] == "请求示例"


def test_swagger_ui_reads_the_schema_and_needs_no_key_to_open(client):
    html = client.get(SWAGGER).content.decode()
    assert "<title>合作媒体接口在线试用</title>" in html
    assert f'url: "{SCHEMA}",' in html


def test_the_schema_reads_as_json_text_and_lists_no_docs_page(client):
    response = client.get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi+json"
    paths = set(json.loads(response.content)["paths"])
    assert "/api/partner/items/" in paths
    assert not {DOCS, SWAGGER} & paths


def test_the_page_showing_a_new_key_links_the_docs(admin_client, partner, make_feed):
    feed = make_feed("mine", access="partner")
    response = admin_client.post(
        reverse("partner_keys:add"),
        {
            "partner": partner.pk,
            "label": "官网",
            "feeds": [feed.pk],
            "rate_limit_per_minute": 60,
            "expires_at": "",
        },
    )
    page = response.content.decode()
    assert f'<a href="http://testserver{DOCS}" target="_blank"' in page
