"""Wagtail API v2, limited to what readers may see."""

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from cms.pages import expired_but_live_ids


class VisiblePagesAPIViewSet(PagesAPIViewSet):
    """Live, public pages, minus those past their expiry time."""

    def get_base_queryset(self):
        return super().get_base_queryset().exclude(pk__in=expired_but_live_ids())


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", VisiblePagesAPIViewSet)
api_router.register_endpoint("images", ImagesAPIViewSet)
api_router.register_endpoint("documents", DocumentsAPIViewSet)
