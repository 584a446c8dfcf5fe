from django.urls import path

from channels.podcast import podcast_feed
from channels.views import download

urlpatterns = [
    path("outputs/<str:token>/", download, name="channel_output"),
    path("podcast/<str:slug>.xml", podcast_feed, name="podcast_feed"),
]
