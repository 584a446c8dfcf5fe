"""The partner API's documentation, drawn in the browser from its OpenAPI
schema (/api/partner/schema/): ReDoc to read it (/api/partner/docs/) and
Swagger UI to try calls with a key (/api/partner/swagger/).

Both are public, like the schema, and read no key themselves (Swagger UI
sends the one a partner types in with the calls it tries, as any client
would). Their scripts and styles are our own static files
(drf-spectacular-sidecar, SPECTACULAR_SETTINGS): neither page asks another
host for anything, so they work where partners' browsers reach only us."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.plumbing import set_query_parameters
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

SCHEMA_URL_NAME = "partner_api:schema"
FONTS = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", '
    '"Microsoft YaHei", "DejaVu Sans", sans-serif'
)
CODE_FONTS = '"DejaVu Sans Mono", "Noto Sans Mono CJK SC", Consolas, monospace'
BRAND = "#0b6e75"

# ReDoc's words that our schema shows; the rest of its interface is English.
REDOC_LABELS = {
    "enum": _("可选值"),
    "enumSingleValue": _("取值"),
    "const": _("取值"),
    "default": _("默认值"),
    "deprecated": _("已弃用"),
    "example": _("示例"),
    "examples": _("示例"),
    "noResultsFound": _("没有找到"),
    "download": _("下载"),
    "downloadSpecification": _("下载 OpenAPI 架构"),
    "responses": _("响应"),
    "requestSamples": _("请求示例"),
    "responseSamples": _("响应示例"),
}


def redoc_options() -> dict:
    """Redoc.init()'s options: Chinese fonts and labels, the site's colour,
    the answer for success open and required fields first."""
    return {
        "expandResponses": "200",
        "requiredPropsFirst": True,
        "labels": REDOC_LABELS,
        "theme": {
            "colors": {"primary": {"main": BRAND}},
            "typography": {
                "fontFamily": FONTS,
                "headings": {"fontFamily": FONTS},
                "code": {"fontFamily": CODE_FONTS},
            },
            "sidebar": {"backgroundColor": "#f4f7f9"},
        },
    }


class PartnerApiDocsView(SpectacularRedocView):
    """ReDoc, in our own page (drf-spectacular's loads Google Fonts)."""

    template_name = "partners/api_docs.html"
    url_name = SCHEMA_URL_NAME
    title = _("合作媒体接口文档")
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        schema_url = response.data["schema_url"]
        response.data.update(
            redoc_options=redoc_options(),
            schema_json_url=set_query_parameters(schema_url, format="json"),
        )
        return response


class PartnerApiTryView(SpectacularSwaggerView):
    """Swagger UI: 「Authorize」 takes the key, 「Try it out」 calls the API."""

    url_name = SCHEMA_URL_NAME
    title = _("合作媒体接口在线试用")
    authentication_classes: list = []
    permission_classes = [AllowAny]
