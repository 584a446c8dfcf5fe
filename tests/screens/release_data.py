"""Player releases for the tests: another release of the installed player,
told apart by a comment in its player.js."""

from django.utils import timezone

from screens.models import PlayerRelease
from screens.releases import digest


def another_release(release: PlayerRelease, marker: str) -> PlayerRelease:
    script = release.files["player.js"] + f"\n// {marker}\n"
    files = {**release.files, "player.js": script}
    return PlayerRelease.objects.create(
        version=digest(files, release.messages),
        files=files,
        messages=release.messages,
        recorded_at=timezone.now(),
    )
