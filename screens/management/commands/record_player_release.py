"""`manage.py record_player_release`: record the installed big-screen player
as a release (screens.releases). Run at every deploy, after `migrate`; a
player recorded before is left as it is, so running it again changes
nothing. The first release becomes the fleet's default; a later one runs
nowhere until it is pinned to a group or promoted in the admin (播放器版本),
or at once with --promote."""

from django.core.management.base import BaseCommand

from screens import releases, rollout


class Command(BaseCommand):
    help = "Record the installed big-screen player as a release (idempotent)"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--promote",
            action="store_true",
            help="make it the default release of every screen now",
        )

    def handle(self, *args, promote: bool = False, **options) -> None:
        release, created = releases.record_installed()
        if promote and not release.is_default:
            rollout.promote(release)
            release.refresh_from_db()
        state = "recorded" if created else "already recorded"
        default = ", the default" if release.is_default else ""
        self.stdout.write(f"player release {release.version}: {state}{default}")
