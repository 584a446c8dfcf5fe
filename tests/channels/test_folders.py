"""A folder delivery target may not lie inside the public media or static
files, the outputs storage or the project's tree, however the path is spelt
(`..`, a symlink): the editor is told when saving the outlet, and an outlet
saved before the rule is refused at delivery, writing nothing."""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from channels.models import Outlet
from channels.queue import enqueue_due_placements
from tests.channels.test_models import errors_of


def inside_media(tmp_path: Path) -> str:
    return str(settings.MEDIA_ROOT / "drop")


def inside_static(tmp_path: Path) -> str:
    return str(settings.STATIC_ROOT / "drop")


def inside_outputs(tmp_path: Path) -> str:
    return str(Path(settings.STORAGES["outputs"]["OPTIONS"]["location"]) / "drop")


def inside_the_project(tmp_path: Path) -> str:
    return str(settings.BASE_DIR / "templates" / "drop")


def dot_dot_into_media(tmp_path: Path) -> str:
    # Spelt from a harmless folder, resolving into MEDIA_ROOT.
    climb = "/".join([".."] * len(tmp_path.parts))
    return f"{tmp_path}/{climb}{settings.MEDIA_ROOT}/drop"


def symlink_into_media(tmp_path: Path) -> str:
    (tmp_path / "innocent").symlink_to(settings.MEDIA_ROOT)
    return str(tmp_path / "innocent" / "drop")


FORBIDDEN = {
    "media": (inside_media, "MEDIA_ROOT"),
    "static": (inside_static, "STATIC_ROOT"),
    "outputs": (inside_outputs, "媒体文件目录"),  # test outputs sit in MEDIA_ROOT
    "project": (inside_the_project, "程序目录"),
    "dot-dot": (dot_dot_into_media, "MEDIA_ROOT"),
    "symlink": (symlink_into_media, "MEDIA_ROOT"),
}


@pytest.mark.parametrize("where, named", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_a_folder_inside_a_protected_place_is_refused_when_saved(
    db, tmp_path, where, named
):
    outlet = Outlet(
        name="内部文件夹",
        channel="radio",
        organisation="某台",
        delivery="folder",
        delivery_target=where(tmp_path),
    )
    [message] = errors_of(outlet)["delivery_target"]
    assert "交付文件夹不能位于" in message and named in message


@pytest.mark.parametrize("where, named", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_a_folder_inside_a_protected_place_is_refused_at_delivery(
    due_placement, tmp_path, where, named
):
    target = where(tmp_path)
    Outlet.objects.filter(pk=due_placement.outlet_id).update(delivery_target=target)

    enqueue_due_placements(timezone.now())

    due_placement.refresh_from_db()
    assert due_placement.status == "rendered"
    assert "交付文件夹不能位于" in due_placement.error and named in due_placement.error
    assert not Path(target).exists()


def test_a_folder_elsewhere_still_takes_deliveries(due_placement, tmp_path):
    due_placement.outlet.full_clean()

    enqueue_due_placements(timezone.now())

    due_placement.refresh_from_db()
    assert due_placement.status == "delivered"
    assert len(list((tmp_path / "drop").iterdir())) == 1
