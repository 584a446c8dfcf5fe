"""The site's media and documents fixtures, shared by the cms tests."""

from tests.cms.test_site import (  # noqa: F401
    audio_media,
    clip,
    make_subtitles,
    make_video,
    photo,
    tone,
    video_media,
)
