"""Wagtail API v2, limited to what readers may see."""

from pathlib import PurePosixPath

from django.urls import reverse
from rest_framework.fields import Field
from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.serializers import DocumentSerializer
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.serializers import ImageSerializer
from wagtail.images.api.v2.views import ImagesAPIViewSet

from cms.file_views import image_url
from cms.files import ApprovedFile, FileKind, public_versions, visible_revision_ids
from cms.pages import expired_but_live_ids
from cms.public_address import public_url


class BoundedPagination(WagtailPagination):
    """Wagtail's, but an offset past the last row reads nothing instead of
    handing the database a number beyond its range."""

    def paginate_queryset(self, queryset, request, view=None):
        rows = super().paginate_queryset(queryset, request, view)
        past_the_end = int(request.GET.get("offset", 0)) >= self.total_count
        return [] if past_the_end else rows


class VisiblePagesAPIViewSet(PagesAPIViewSet):
    """Live, public pages, minus those past their expiry time."""

    pagination_class = BoundedPagination

    def get_base_queryset(self):
        return super().get_base_queryset().exclude(pk__in=expired_but_live_ids())


def shown_ids(kind: FileKind):
    """Ids of the files a visible page was approved with."""
    return ApprovedFile.objects.filter(
        kind=kind, snapshot__revision__in=visible_revision_ids()
    ).values("object_id")


class PublicFileUrlField(Field):
    """The public address of the version visible pages show now (the file
    as stored may be a change still waiting for review)."""

    def __init__(self, kind: FileKind, **kwargs):
        self.kind = kind
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance):
        return instance

    def to_representation(self, obj) -> str | None:
        versions = public_versions(self.kind, obj.pk)
        if not versions:
            return None
        if self.kind == FileKind.IMAGE:
            path = image_url(obj.pk, versions[0])
        else:
            filename = PurePosixPath(versions[0]).name
            path = reverse("files:document", args=[obj.pk, filename])
        return public_url(path)


class PublicImageSerializer(ImageSerializer):
    download_url = PublicFileUrlField(FileKind.IMAGE)


class PublicDocumentSerializer(DocumentSerializer):
    download_url = PublicFileUrlField(FileKind.DOCUMENT)


class VisibleImagesAPIViewSet(ImagesAPIViewSet):
    """Images visible pages use, with their public addresses."""

    base_serializer_class = PublicImageSerializer
    pagination_class = BoundedPagination

    def get_queryset(self):
        return super().get_queryset().filter(pk__in=shown_ids(FileKind.IMAGE))


class VisibleDocumentsAPIViewSet(DocumentsAPIViewSet):
    """Documents visible pages use, with their public addresses."""

    base_serializer_class = PublicDocumentSerializer
    pagination_class = BoundedPagination

    def get_queryset(self):
        return super().get_queryset().filter(pk__in=shown_ids(FileKind.DOCUMENT))


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", VisiblePagesAPIViewSet)
api_router.register_endpoint("images", VisibleImagesAPIViewSet)
api_router.register_endpoint("documents", VisibleDocumentsAPIViewSet)
