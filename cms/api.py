"""Wagtail API v2, limited to what readers may see."""

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from cms.files import ApprovedFile, FileKind, visible_revision_ids
from cms.pages import expired_but_live_ids


class VisiblePagesAPIViewSet(PagesAPIViewSet):
    """Live, public pages, minus those past their expiry time."""

    def get_base_queryset(self):
        return super().get_base_queryset().exclude(pk__in=expired_but_live_ids())


def shown_ids(kind: FileKind):
    """Ids of the files a visible page was approved with."""
    return ApprovedFile.objects.filter(
        kind=kind, snapshot__revision__in=visible_revision_ids()
    ).values("object_id")


class VisibleImagesAPIViewSet(ImagesAPIViewSet):
    """Images visible pages use (addresses of their files: the public
    image door)."""

    def get_queryset(self):
        return super().get_queryset().filter(pk__in=shown_ids(FileKind.IMAGE))


class VisibleDocumentsAPIViewSet(DocumentsAPIViewSet):
    """Documents visible pages use; their download address is guarded."""

    def get_queryset(self):
        return super().get_queryset().filter(pk__in=shown_ids(FileKind.DOCUMENT))


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", VisiblePagesAPIViewSet)
api_router.register_endpoint("images", VisibleImagesAPIViewSet)
api_router.register_endpoint("documents", VisibleDocumentsAPIViewSet)
