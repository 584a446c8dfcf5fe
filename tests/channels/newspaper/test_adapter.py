"""The newspaper adapter: 字数 against the column's space, and the package."""

import pytest
from docx import Document

from channels.newspaper.adapter import NewspaperAdapter


@pytest.fixture
def column(make_outlet):
    return make_outlet(
        "newspaper",
        name="求证·科学",
        spec={
            "target_chars": 100,
            "tolerance": 10,
            "byline_format": "本报记者 {author}",
        },
    )


def article_of(make_article, layout_chars: int, **fields):
    """An article of exactly that 版面字数: a 4-字 standfirst, the body and 。"""
    body = [("paragraph", f"<p>{'疫' * (layout_chars - 5)}。</p>")]
    return make_article(standfirst="导语两句", body=body, **fields)


def codes(item, outlet) -> list[str]:
    return [problem.code for problem in NewspaperAdapter().check(item, outlet)]


def test_copy_within_the_tolerance_passes(make_article, column):
    assert codes(article_of(make_article, 100), column) == []
    assert codes(article_of(make_article, 91, title="短一点"), column) == []


def test_copy_over_the_column_is_refused_with_the_count(make_article, column):
    item = article_of(make_article, 130)
    [problem] = NewspaperAdapter().check(item, column)
    assert problem.code == "too_long"
    assert problem.message == "稿件 130 字，超出版面 100±10 字（多 20 字）"


def test_copy_short_of_the_column_is_named(make_article, column):
    assert codes(article_of(make_article, 60), column) == ["too_short"]


def test_package_holds_text_in_two_encodings_docx_nitf_and_pdf(make_article, column):
    item = article_of(make_article, 100, title="疫苗的故事", author="李青")
    package = NewspaperAdapter().render(item, column)
    files = {file.name.split(".", 1)[1]: file for file in package.files}
    assert sorted(files) == ["docx", "gb18030.txt", "nitf.xml", "pdf", "utf8.txt"]
    assert files["gb18030.txt"].content.decode("gb18030") == files[
        "utf8.txt"
    ].content.decode("utf-8")
    assert "本报记者 李青" in files["utf8.txt"].content.decode()
    assert files["pdf"].content.startswith(b"%PDF")
    assert package.summary == {"characters": 99, "layout": 100}


def test_docx_carries_the_source_line_with_the_reviewing_expert(
    make_article, column, tmp_path
):
    item = article_of(make_article, 100)
    docx = next(
        f
        for f in NewspaperAdapter().render(item, column).files
        if f.name.endswith(".docx")
    )
    path = tmp_path / "column.docx"
    path.write_bytes(docx.content)
    text = "\n".join(paragraph.text for paragraph in Document(path).paragraphs)
    assert "审核专家：周明（省疾控中心）" in text


def test_preview_is_the_proof(make_article, column):
    html = NewspaperAdapter().preview_html(article_of(make_article, 100), column)
    assert "疫苗是怎样起作用的" in html and "lang=&quot;zh-Hans&quot;" in html
