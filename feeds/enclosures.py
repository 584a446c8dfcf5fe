"""What feeds say about an item's media file: its name, length, type,
duration and frame size. The file itself is served by cms/file_views.py, in
the version a reviewer approved."""

from dataclasses import dataclass
from pathlib import PurePosixPath

from cms.file_views import mime_type_of
from media_pipeline.models import version_of


@dataclass(frozen=True)
class MediaFacts:
    filename: str
    length: int
    mime_type: str
    duration: float | None
    width: int | None
    height: int | None
    version: str  # media_pipeline's source version of the file described


def probe_of(media):
    """The media_pipeline probe of this file when one succeeded, else None."""
    try:
        probe = media.probe
    except media._meta.get_field("probe").related_model.DoesNotExist:
        return None
    return None if probe.error else probe


def media_facts(media, name: str | None = None) -> MediaFacts | None:
    """Facts of the media's file as stored now, or of the stored version
    `name` (the approved one): length from the storage, duration and frame
    size from the probe (or the media record); None when the file is
    missing."""
    name = name or media.file.name
    try:
        length = media.file.storage.size(name)
    except (OSError, ValueError):
        return None
    probe = probe_of(media)
    duration = (probe.duration if probe else None) or media.duration or None
    width = (probe and (probe.display_width or probe.width)) or media.width
    height = (probe and (probe.display_height or probe.height)) or media.height
    return MediaFacts(
        filename=PurePosixPath(name).name,
        length=length,
        mime_type=mime_type_of(name, media.type),
        duration=float(duration) if duration else None,
        width=width if media.type == "video" else None,
        height=height if media.type == "video" else None,
        version=version_of(name, length),
    )
