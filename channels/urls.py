from django.urls import path

from channels.views import download

urlpatterns = [
    path("outputs/<str:token>/", download, name="channel_output"),
]
