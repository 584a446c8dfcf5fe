"""A radio programme's podcast keeps the address it has always had,
/channels/podcast/<column-slug>.xml: cms/urls.py includes these under it."""

from django.urls import path

from feeds.programmes import programme_podcast

urlpatterns = [
    path("<str:slug>.xml", programme_podcast, name="podcast_feed"),
]
