from django.urls import path

from feeds.enclosures import enclosure, rendition, thumbnail
from feeds.views import cover_view, feed_view

app_name = "feeds"
urlpatterns = [
    path("media/<int:page_id>/<int:media_id>/thumbnail/", thumbnail, name="thumbnail"),
    path(
        "media/<int:page_id>/<int:media_id>/renditions/<int:rendition_id>/<str:filename>",
        rendition,
        name="rendition",
    ),
    path(
        "media/<int:page_id>/<int:media_id>/<str:filename>",
        enclosure,
        name="enclosure",
    ),
    path("<slug:slug>/cover.png", cover_view, name="cover"),
    path("<slug:slug>/<str:format_name>", feed_view, name="feed"),
]
