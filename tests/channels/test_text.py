import pytest

from channels.text import count_chars, read_seconds


@pytest.mark.parametrize(
    ("text", "characters", "layout"),
    [
        ("疫苗", 2, 2),
        ("接种疫苗后，要留观三十分钟。", 12, 14),
        ("新冠疫苗mRNA技术于2020年获批。", 12, 13),
        ("COVID-19 和 H7N9 都是病毒名。", 8, 9),
        ("气温 3.5 摄氏度", 6, 6),
        ("“谣言”止于智者！", 6, 9),
        ("", 0, 0),
    ],
)
def test_counts_han_characters_latin_words_and_punctuation(text, characters, layout):
    count = count_chars(text)
    assert (count.characters, count.layout) == (characters, layout)
    assert count.punctuation == layout - characters


def test_uyghur_words_count_as_words_not_characters():
    assert count_chars("قول يۇيۇش").characters == 2


def test_read_time_follows_the_speaking_rate():
    assert read_seconds("字" * 240, chars_per_minute=240) == 60
    assert read_seconds("字" * 1800, chars_per_minute=240) == 450
