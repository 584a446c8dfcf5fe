from django.urls import path

from screens import api, card_views, command_api, release_views

app_name = "big_screen"

urlpatterns = [
    path("api/screens/pair/", api.pair, name="pair"),
    path("api/screens/pair/status/", api.pair_status, name="pair_status"),
    path("api/screens/playlist/", api.playlist, name="playlist"),
    path("api/screens/heartbeat/", api.heartbeat, name="heartbeat"),
    path("api/screens/plays/", api.plays, name="plays"),
    path("api/screens/commands/", command_api.pending, name="commands"),
    path(
        "api/screens/commands/<id:command_id>/ack/",
        command_api.acknowledge,
        name="command_ack",
    ),
    path(
        "api/screens/commands/<id:command_id>/screenshot/",
        command_api.screenshot,
        name="command_screenshot",
    ),
    path("player/", release_views.default_page, name="player"),
    path("player/sw.js", release_views.default_service_worker, name="player_sw"),
    path("player/r/<str:version>/", release_views.release_page, name="release"),
    path(
        "player/r/<str:version>/sw.js",
        release_views.release_service_worker,
        name="release_sw",
    ),
    path(
        "player/r/<str:version>/<str:name>",
        release_views.release_asset,
        name="release_asset",
    ),
    path(
        "big-screen/cards/articles/<id:page_id>/<id:revision_id>/<str:orientation>.png",
        card_views.article_card,
        name="article_card",
    ),
    path(
        "big-screen/cards/emergencies/<id:emergency_id>/<str:version>/"
        "<str:orientation>.png",
        card_views.emergency_card,
        name="emergency_card",
    ),
]
