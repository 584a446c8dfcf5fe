from django.urls import path

from feeds.views import cover_view, feed_view

app_name = "feeds"
urlpatterns = [
    path("<slug:slug>/cover.png", cover_view, name="cover"),
    path("<slug:slug>/<str:format_name>", feed_view, name="feed"),
]
