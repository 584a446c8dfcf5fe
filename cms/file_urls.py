"""The addresses files are served at (cms/file_views.py). The media and
document paths are the ones feeds and pages have always given."""

from django.conf import settings
from django.urls import path

from cms import file_views

app_name = "files"
MEDIA = "feeds/media/<int:page_id>/<int:media_id>"
urlpatterns = [
    path(f"{MEDIA}/thumbnail/", file_views.thumbnail, name="thumbnail"),
    path(
        f"{MEDIA}/renditions/<int:rendition_id>/<str:filename>",
        file_views.rendition,
        name="rendition",
    ),
    path(f"{MEDIA}/<str:filename>", file_views.enclosure, name="enclosure"),
    path(
        "documents/<int:document_id>/<str:document_filename>",
        file_views.document,
        name="document",
    ),
    path(
        "files/images/<int:image_id>/<str:variant>/<str:filename>",
        file_views.image,
        name="image",
    ),
    path(
        f"{settings.MEDIA_URL.strip('/')}/<path:name>",
        file_views.staff_file,
        name="staff",
    ),
]
