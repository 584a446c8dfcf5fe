"""The read-only partner API beside the feeds, on Django REST framework:
items (paged, newest change first, `updated_since`, `?feed=`), one item,
the key's feeds with their addresses, and the advisories (更正/撤回) since a
time. An item withdrawn from the key's scope answers 410 with when and why
(an item the key never could read stays a plain 404).

Keys, rate limits and the pull log are those of the feeds (access.py,
pull_log.py). Every view sets its authentication, permissions, renderer and
schema itself, so the project's global DRF settings (shared with Wagtail's
API) do not matter."""

from datetime import UTC, datetime

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from wagtail.models import Page

from cms.advisories import Advisory, withdrawal_of
from cms.json_input import BadInput, moment
from cms.public_address import public_url
from feeds.access import AccessDenied
from feeds.items import item_guid
from feeds.models import FeedDefinition
from partners.access import Grant, authenticate
from partners.pull_log import log_pull
from partners.scope import api_items, held_by, scoped_rows
from partners.serializers import (
    ADDRESS_FORMATS,
    AdvisorySerializer,
    ErrorSerializer,
    FeedSerializer,
    ItemSerializer,
    WithdrawnSerializer,
)

REALM = 'Bearer realm="kepu-partner-api"'
# Times a client may ask from: wide, but within every database's range.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
SCHEMA_SETTINGS = {
    "TITLE": "科普全媒体 合作方 API",
    "DESCRIPTION": (
        "合作媒体读取本密钥可读订阅源中的已发布条目：全文（HTML 与纯文本，"
        "视订阅源设置）、媒体文件、主题与受众。密钥用 Authorization: Bearer "
        "头或 ?key= 参数提供；超过每分钟请求上限时返回 429 与 Retry-After。"
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/partner",
    # The documentation pages list the operations under these, in this order.
    "TAGS": [
        {
            "name": "条目",
            "description": "已发布的科普文章、科普视频与专栏节目：全文、媒体与分类。",
        },
        {
            "name": "订阅源",
            "description": "可直接填入阅读器或播客应用的订阅地址。",
        },
        {
            "name": "更正与撤回",
            "description": "已转载的条目有更正或撤回时，请据此更正或撤下转载的版本。",
        },
        {
            "name": "传播数据",
            "description": "报送转载条目在本单位平台上的阅读、播放等数据。",
        },
    ],
}


class RateLimited(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after


def api_error(denied: AccessDenied) -> exceptions.APIException:
    if denied.status == 401:
        return exceptions.AuthenticationFailed(denied.message)
    if denied.status == 429:
        return RateLimited(denied.message, denied.retry_after)
    return exceptions.PermissionDenied(denied.message)


class PartnerKeyAuthentication(BaseAuthentication):
    """A partner key, as `Authorization: Bearer` or `?key=`."""

    def authenticate(self, request):
        try:
            grant = authenticate(request._request)
        except AccessDenied as denied:
            raise api_error(denied) from None
        return AnonymousUser(), grant

    def authenticate_header(self, request) -> str:
        return REALM


class HasPartnerKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Grant)


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = PartnerKeyAuthentication
    name = ["bearer", "key"]

    def get_security_requirement(self, auto_schema):
        return [{"bearer": []}, {"key": []}]  # either one

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "合作方密钥：Authorization: Bearer kp_…",
            },
            {
                "type": "apiKey",
                "in": "query",
                "name": "key",
                "description": "不能设置请求头的客户端可用 ?key=kp_… 提供密钥",
            },
        ]


class ItemPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


FEED_PARAMETER = OpenApiParameter(
    "feed",
    OpenApiTypes.STR,
    description="只看本密钥可读的某个订阅源（标识）",
)
UPDATED_SINCE_PARAMETER = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    description="只返回此时刻及以后更新的条目（ISO 8601；不带时区按 UTC）",
)


ERRORS = {
    401: OpenApiResponse(
        ErrorSerializer, description="缺少密钥，或密钥无效、已吊销、已过期"
    ),
    403: OpenApiResponse(
        ErrorSerializer, description="密钥无权读取 ?feed= 指定的订阅源"
    ),
    404: OpenApiResponse(ErrorSerializer, description="没有这个订阅源或条目"),
    429: OpenApiResponse(
        ErrorSerializer, description="超过每分钟请求上限；Retry-After 头给出等待秒数"
    ),
}
BAD_REQUEST = {
    400: OpenApiResponse(description="updated_since 不是 ISO 8601 时间"),
}


SINCE_PARAMETER = OpenApiParameter(
    "since",
    OpenApiTypes.DATETIME,
    required=True,
    description="只返回此时刻及以后的更正与撤回（ISO 8601；不带时区按 UTC）",
)
KIND_PARAMETER = OpenApiParameter(
    "kind",
    OpenApiTypes.STR,
    enum=Advisory.Kind.values,
    description="只看更正（correction）或撤回（withdrawal）",
)


def updated_since(request, name: str = "updated_since", required: bool = False):
    raw = request.query_params.get(name, "").strip()
    if not raw:
        if required:
            raise exceptions.ValidationError({name: _("请提供起始时间（ISO 8601）")})
        return None
    # A "+08:00" offset arrives as " 08:00" when the client did not encode it.
    try:
        return moment(raw.replace(" ", "+"), name, EARLIEST, LATEST, naive_in=UTC)
    except BadInput as problem:
        raise exceptions.ValidationError({name: str(problem)}) from None


class PartnerAPIView(generics.GenericAPIView):
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasPartnerKey]
    renderer_classes = [JSONRenderer]
    throttle_classes: list = []
    filter_backends: list = []
    metadata_class = None
    versioning_class = None
    schema = AutoSchema()
    queryset = Page.objects.none()  # types the path's id for the schema
    logged_feed: FeedDefinition | None = None
    carried: tuple[int, ...] = ()  # the page ids of the items answered

    @property
    def grant(self) -> Grant:
        return self.request.auth

    def scope_feeds(self) -> list[FeedDefinition]:
        """The key's active feeds, or the one `?feed=` names (403 if the key
        may not read it, 404 if there is no such feed)."""
        key_feeds = self.grant.key.feeds.filter(active=True)
        slug = self.request.query_params.get("feed", "")
        if not slug:
            return list(key_feeds)
        feed = FeedDefinition.objects.filter(slug=slug, active=True).first()
        if feed is None:
            raise exceptions.NotFound(_("没有这个订阅源"))
        self.logged_feed = feed
        if not (feed.is_public or key_feeds.filter(pk=feed.pk).exists()):
            raise exceptions.PermissionDenied(_("此密钥无权读取该订阅源"))
        return [feed]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "private, no-cache"
        http_request, feed, carried = request._request, self.logged_feed, self.carried

        def log(rendered) -> None:
            # No grant passed: the key the request presented names the partner.
            size = len(rendered.content) if rendered.status_code == 200 else 0
            log_pull(http_request, feed, None, rendered.status_code, size, carried)

        response.add_post_render_callback(log)
        return response


@extend_schema(
    summary="条目列表",
    tags=["条目"],
    description="本密钥可读的全部条目，按更新时间从新到旧，分页。",
    parameters=[UPDATED_SINCE_PARAMETER, FEED_PARAMETER],
    responses={200: ItemSerializer, **BAD_REQUEST, **ERRORS},
)
class ItemListView(PartnerAPIView, generics.ListAPIView):
    serializer_class = ItemSerializer
    pagination_class = ItemPagination

    def list(self, request, *args, **kwargs):
        since = updated_since(request)
        rows = scoped_rows(self.scope_feeds())
        if since is not None:
            rows = rows.filter(changed__gte=since)
        page = self.paginate_queryset(rows)
        items = api_items(list(page), request._request)
        self.carried = tuple(api_item.item.page_id for api_item in items)
        return self.get_paginated_response(self.get_serializer(items, many=True).data)


@extend_schema(
    summary="单个条目",
    tags=["条目"],
    description=(
        "按页面 id 读取一个条目；不在本密钥可读范围内时为 404；"
        "本密钥曾可读、现已撤回的条目为 410，并给出撤回时间与原因。"
    ),
    parameters=[FEED_PARAMETER],
    responses={
        200: ItemSerializer,
        **ERRORS,
        410: OpenApiResponse(
            WithdrawnSerializer, description="条目已撤回：请停止使用并撤下已刊发的版本"
        ),
    },
)
class ItemDetailView(PartnerAPIView, generics.RetrieveAPIView):
    serializer_class = ItemSerializer
    lookup_url_kwarg = "id"

    def retrieve(self, request, *args, id: int, **kwargs):
        rows = list(scoped_rows(self.scope_feeds()).filter(pk=id))
        items = api_items(rows, request._request)
        if items:
            self.carried = (items[0].item.page_id,)
            return Response(self.get_serializer(items[0]).data)
        withdrawal = withdrawal_of(id)
        if withdrawal is not None and within_scope(withdrawal, self.scope_feeds()):
            data = {
                "detail": _("该条目已撤回"),
                "id": id,
                "guid": item_guid(id),
                "withdrawn_at": withdrawal.at,
                "reason": withdrawal.reason,
            }
            return Response(WithdrawnSerializer(data).data, status=status.HTTP_410_GONE)
        raise exceptions.NotFound(_("没有这个条目，或本密钥无权读取"))


def within_scope(advisory: Advisory, feeds: list[FeedDefinition]) -> bool:
    """One of the feeds held the item before the advisory."""
    entered = held_by(feeds, {advisory.page_id}, advisory.at).get(advisory.page_id)
    return entered is not None and entered <= advisory.at


@extend_schema(
    summary="更正与撤回",
    tags=["更正与撤回"],
    description=(
        "自 since 起，本密钥可读条目的更正与撤回，按时间从新到旧，分页。"
        "撤回的条目已从条目列表中消失，请据此撤下已刊发的版本；"
        "更正的条目请按 wrong/right 更正转载的版本。"
    ),
    parameters=[SINCE_PARAMETER, KIND_PARAMETER, FEED_PARAMETER],
    responses={
        200: AdvisorySerializer,
        400: OpenApiResponse(description="缺少 since，或 since、kind 格式不对"),
        **ERRORS,
    },
)
class AdvisoryListView(PartnerAPIView, generics.ListAPIView):
    serializer_class = AdvisorySerializer
    pagination_class = ItemPagination

    def list(self, request, *args, **kwargs):
        since = updated_since(request, "since", required=True)
        advisories = Advisory.objects.filter(at__gte=since, page__isnull=False)
        kind = request.query_params.get("kind", "")
        if kind:
            if kind not in Advisory.Kind.values:
                raise exceptions.ValidationError(
                    {"kind": _("只能是 correction 或 withdrawal")}
                )
            advisories = advisories.filter(kind=kind)
        advisories = list(advisories.order_by("-at", "-pk"))
        entered = held_by(self.scope_feeds(), {a.page_id for a in advisories})
        readable = [
            advisory_entry(advisory)
            for advisory in advisories
            if advisory.page_id in entered and entered[advisory.page_id] <= advisory.at
        ]
        page = self.paginate_queryset(readable)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def advisory_entry(advisory: Advisory) -> dict:
    return {
        "id": advisory.pk,
        "kind": advisory.kind,
        "page_id": advisory.page_id,
        "guid": item_guid(advisory.page_id),
        "title": advisory.title,
        "url": public_url(advisory.public_path or "/"),
        "at": advisory.at,
        "wrong": advisory.wrong,
        "right": advisory.right,
        "reason": advisory.reason,
        "summary": advisory.summary(),
    }


@extend_schema(
    summary="订阅源",
    tags=["订阅源"],
    description="本密钥可读的订阅源及其订阅地址。",
    responses={200: FeedSerializer(many=True), 401: ERRORS[401], 429: ERRORS[429]},
)
class FeedListView(PartnerAPIView, generics.ListAPIView):
    serializer_class = FeedSerializer
    pagination_class = None

    def list(self, request, *args, **kwargs):
        feeds = self.grant.key.feeds.filter(active=True).order_by("slug")
        data = [feed_entry(feed) for feed in feeds]
        return Response(self.get_serializer(data, many=True).data)


def feed_entry(feed: FeedDefinition) -> dict:
    addresses = {
        field: public_url(reverse("feeds:feed", args=[feed.slug, name]))
        for field, name in ADDRESS_FORMATS.items()
    }
    return {
        "slug": feed.slug,
        "title": feed.title,
        "description": feed.description,
        "access": feed.access,
        "full_text": feed.full_text,
        "item_count": feed.item_count,
        "addresses": addresses,
    }
