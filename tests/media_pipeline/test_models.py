"""A file's current renditions: made from the file as it is stored now, the
newest for the preset, found for many files with one query."""

from media_pipeline.models import Rendition


def test_current_renditions_are_the_newest_of_the_preset_from_the_file_as_now(
    make_video_page, make_screen_rendition, django_assert_num_queries
):
    fresh, replaced, other = (make_video_page(title=t).video for t in "甲乙丙")
    older = make_screen_rendition(fresh)
    Rendition.objects.filter(pk=older.pk).update(reframe="crop")
    newest = make_screen_rendition(fresh)
    make_screen_rendition(replaced)
    Rendition.objects.filter(media=replaced).update(source_version="an-older-file")
    make_screen_rendition(other, preset="douyin")
    with django_assert_num_queries(1):
        current = Rendition.objects.current(
            [fresh, replaced, other, None], "screen_landscape"
        )
    assert current == {fresh.pk: newest}
