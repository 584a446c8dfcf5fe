"""The site's media and documents fixtures, and a page of every public
template, shared by the cms tests."""

from tests.cms.public_pages import every_template  # noqa: F401
from tests.cms.test_site import (  # noqa: F401
    audio_media,
    clip,
    make_subtitles,
    make_video,
    photo,
    tone,
    video_media,
)
