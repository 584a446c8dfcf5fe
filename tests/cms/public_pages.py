"""A page of every public template (the accessibility and 大字版 tests):
name → address."""

import pytest

from tests.cms.test_site import UYGHUR_TEXT, UYGHUR_TITLE


@pytest.fixture
def every_template(
    home,
    articles_index,
    radio_column,
    make_article,
    make_episode,
    make_video,
    make_subtitles,
    audio_media,
    photo,
    campaign,
):
    body = [
        {"type": "paragraph", "value": "<p>免疫系统像一支训练有素的队伍。</p>"},
        {"type": "image", "value": {"image": photo.pk, "caption": "抗体与病毒结合"}},
        {"type": "quote", "value": {"text": "疫苗很有效。", "attribution": "周明"}},
        {
            "type": "fact_box",
            "value": {"title": "接种小贴士", "facts": ["接种后留观30分钟"]},
        },
        {
            "type": "references",
            "value": [
                {
                    "title": "疫苗接种知识问答",
                    "publisher": "国家疾控局",
                    "url": "https://example.org/yimiao",
                }
            ],
        },
    ]
    article = make_article(title="疫苗如何起作用", body=body, campaign=campaign)
    uyghur = make_article(
        title=UYGHUR_TITLE,
        body=[
            {"type": "paragraph", "value": f"<p>{UYGHUR_TEXT}</p>"},
            {"type": "quote", "value": {"text": UYGHUR_TEXT, "attribution": "ئەخمەت"}},
        ],
    )
    video = make_video(subtitles=make_subtitles("vtt"))
    episode = make_episode(1, audio=audio_media)
    withdrawn = make_article(title="已撤回的文章")
    withdrawn_url = withdrawn.url
    withdrawn.unpublish()
    return {
        "home": "/",
        "section": articles_index.url,
        "article": article.url,
        "uyghur article": uyghur.url,
        "video": video.url,
        "column": radio_column.url,
        "episode": episode.url,
        "search": "/search/?q=疫苗",
        "search, nothing found": "/search/?q=不存在的词语",
        "search, no query": "/search/",
        "404": "/no-such-page/",
        "410": withdrawn_url,
        "big-screen player": "/player/",
    }
