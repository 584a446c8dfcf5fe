from django.urls import path

from screens import api, player

app_name = "big_screen"

urlpatterns = [
    path("api/screens/pair/", api.pair, name="pair"),
    path("api/screens/pair/status/", api.pair_status, name="pair_status"),
    path("api/screens/playlist/", api.playlist, name="playlist"),
    path("api/screens/heartbeat/", api.heartbeat, name="heartbeat"),
    path("api/screens/plays/", api.plays, name="plays"),
    path("player/", player.page, name="player"),
    path("player/sw.js", player.service_worker, name="player_sw"),
]
