"""The addresses files are served at (cms/file_views.py). The media and
document paths are the ones feeds and pages have always given."""

from django.conf import settings
from django.urls import path

from cms import file_views

app_name = "files"
MEDIA = "feeds/media/<id:page_id>/<id:media_id>"
urlpatterns = [
    path(f"{MEDIA}/thumbnail/", file_views.thumbnail, name="thumbnail"),
    path(
        f"{MEDIA}/renditions/<id:rendition_id>/<str:filename>",
        file_views.rendition,
        name="rendition",
    ),
    path(f"{MEDIA}/<str:filename>", file_views.enclosure, name="enclosure"),
    path(
        "documents/<id:document_id>/<str:document_filename>",
        file_views.document,
        name="document",
    ),
    path(
        "files/images/<id:image_id>/<str:variant>/<str:filename>",
        file_views.image,
        name="image",
    ),
    path(
        f"{settings.MEDIA_URL.strip('/')}/<path:name>",
        file_views.staff_file,
        name="staff",
    ),
]
