"""Which player release each screen runs: the default release (PlayerRelease
marked is_default), unless its group or the nearest ancestor with a pin is
pinned to another. A new release goes to a chosen group first (pin), then
everywhere (promote); a group can be pinned back to an earlier one.

Every playlist poll asks for its screen's release. What that needs — the
default's version and the pins — is read in two small queries at most once
every BIG_SCREEN_RELEASE_SECONDS per process; the process that pins or
promotes forgets its reading at once, the others within that time."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from screens.models import PlayerRelease, PlayerReleasePin, ScreenGroup


@dataclass(frozen=True)
class Fleet:
    default: str | None  # None: no release recorded yet
    pins: dict[int, str]  # group id → version

    def version_for(self, group: ScreenGroup) -> str | None:
        for group_id in reversed(group.lineage_ids):
            if group_id in self.pins:
                return self.pins[group_id]
        return self.default


def read_fleet() -> Fleet:
    default = PlayerRelease.objects.filter(is_default=True).values_list(
        "version", flat=True
    )
    pins = PlayerReleasePin.objects.values_list("group_id", "release__version")
    return Fleet(default.first(), dict(pins))


class RecentFleet:
    """The fleet this process read last, while younger than
    BIG_SCREEN_RELEASE_SECONDS (read at every call, so that a changed
    setting takes effect at once)."""

    def __init__(self) -> None:
        self._latest: tuple[float, Fleet | None] = (0.0, None)

    def get(self) -> Fleet:
        read_at, fleet = self._latest
        age = time.monotonic() - read_at
        if fleet is None or not 0 <= age < settings.BIG_SCREEN_RELEASE_SECONDS:
            fleet = read_fleet()
            self._latest = (time.monotonic(), fleet)
        return fleet

    def forget(self, **_signal) -> None:
        self._latest = (0.0, None)


recent_fleet = RecentFleet()


def version_for(group: ScreenGroup) -> str | None:
    """The version of the release a screen of this group runs; None before
    any release is recorded."""
    return recent_fleet.get().version_for(group)


def default_release() -> PlayerRelease | None:
    return PlayerRelease.objects.filter(is_default=True).first()


def pin(group: ScreenGroup, release: PlayerRelease) -> None:
    PlayerReleasePin.objects.update_or_create(
        group=group, defaults={"release": release, "pinned_at": timezone.now()}
    )


def unpin(group: ScreenGroup) -> None:
    PlayerReleasePin.objects.filter(group=group).delete()


def promote(release: PlayerRelease) -> None:
    """Make the release the fleet's default. Pins to it have done their work
    and go (those groups now follow the default); pins to other releases
    stay."""
    with transaction.atomic():
        PlayerRelease.objects.filter(is_default=True).exclude(pk=release.pk).update(
            is_default=False
        )
        PlayerRelease.objects.filter(pk=release.pk).update(
            is_default=True, promoted_at=timezone.now()
        )
        PlayerReleasePin.objects.filter(release=release).delete()
    recent_fleet.forget()


def forget_on_change() -> None:
    """A pin or release saved or deleted in this process is seen by its next
    poll."""
    for model in (PlayerRelease, PlayerReleasePin):
        uid = f"rollout-forgets-{model._meta.label}"
        post_save.connect(
            recent_fleet.forget, model, weak=False, dispatch_uid=uid + "-save"
        )
        post_delete.connect(
            recent_fleet.forget, model, weak=False, dispatch_uid=uid + "-delete"
        )
