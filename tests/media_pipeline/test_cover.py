"""Covers and title cards: Chinese and Uyghur titles drawn with real glyphs
(no tofu), wrapped by the line-breaking rules and never outside the margins."""

from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from media_pipeline.cover import (
    COVER_MARGIN,
    cover_title_box,
    render_cover,
    title_card,
)
from media_pipeline.errors import MediaError
from media_pipeline.fonts import (
    NO_LINE_END,
    NO_LINE_START,
    arabic_font,
    balanced_wrap,
    cjk_font,
    fit_text,
    font_for,
    wrap,
)
from media_pipeline.presets import PRESETS

DOUYIN = PRESETS["douyin"]
SHORT = "黑洞是什么"
LONG = "眼见未必为实：警惕“AI换脸”“AI拟声”诈骗，这五招帮你识别（2024年版）"
UYGHUR = "قولنى توغرا يۇيۇش ھەققىدە بىلىملەر"
# 200 characters of real text, punctuation included.
TWO_HUNDRED = ("台风来临前，请储备饮用水、食物和常用药品；关好门窗，远离广告牌。" * 7)[
    :200
]
NON_CJK_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def cover(
    title: str, tmp_path: Path, preset=DOUYIN, name: str = "c.png"
) -> Image.Image:
    path = render_cover(title, preset, tmp_path / name)
    with Image.open(path) as picture:
        return picture.convert("RGB")


def ink(image: Image.Image, blank: Image.Image) -> Image.Image:
    """White where the title changed the picture."""
    return (
        ImageChops.difference(image, blank)
        .convert("L")
        .point(lambda v: 255 if v > 48 else 0)
    )


def ink_pixels(mask: Image.Image) -> int:
    return mask.histogram()[255]


@pytest.fixture
def blank(tmp_path) -> Image.Image:
    return cover("", tmp_path, name="blank.png")


def test_cover_has_the_preset_cover_size_and_format(tmp_path):
    path = render_cover(SHORT, DOUYIN, tmp_path / "cover.jpg")
    with Image.open(path) as picture:
        assert picture.format == "JPEG"
        assert picture.size == (DOUYIN.cover_width, DOUYIN.cover_height)
    assert [p.name for p in tmp_path.iterdir()] == ["cover.jpg"]


def test_title_ink_is_present_in_the_title_area(tmp_path, blank):
    mask = ink(cover(SHORT, tmp_path), blank)
    left, top, width, height = cover_title_box(blank.size)
    inside = mask.crop((left, top, left + width, top + height))
    assert ink_pixels(inside) > 20_000
    assert ink_pixels(inside) == ink_pixels(mask)


def test_han_glyphs_are_real_not_tofu():
    def drawn(text: str, font: ImageFont.FreeTypeFont) -> bytes:
        canvas = Image.new("L", (200, 80))
        ImageDraw.Draw(canvas).text((4, 4), text, font=font, fill=255)
        return canvas.tobytes()

    font = cjk_font(48)
    assert len({drawn(c, font) for c in "疫苗台风科普"}) == 6
    lacking = ImageFont.truetype(NON_CJK_FONT, 48)
    assert drawn("科普", font) != drawn("科普", lacking)
    assert drawn("科", lacking) == drawn("普", lacking)  # the font lacking Han: tofu


def test_different_titles_draw_different_ink(tmp_path, blank):
    first = ink(cover("疫苗", tmp_path, name="a.png"), blank)
    second = ink(cover("台风", tmp_path, name="b.png"), blank)
    assert ink_pixels(ImageChops.difference(first, second)) > 5_000


@pytest.mark.parametrize(
    "title", [SHORT, LONG, TWO_HUNDRED, UYGHUR], ids=["short", "long", "200", "uyghur"]
)
@pytest.mark.parametrize("preset", ["douyin", "wechat_channels", "bilibili", "toutiao"])
def test_title_ink_never_leaves_the_margins(title, preset, tmp_path):
    chosen = PRESETS[preset]
    blank_cover = cover("", tmp_path, chosen, "blank.png")
    mask = ink(cover(title, tmp_path, chosen), blank_cover)
    left, top, right, bottom = mask.getbbox()
    width, height = blank_cover.size
    margin = round(width * COVER_MARGIN)
    assert left >= margin - 2 and right <= width - margin + 2
    box_left, box_top, box_width, box_height = cover_title_box(blank_cover.size)
    assert top >= box_top - 2 and bottom <= box_top + box_height + 2


def test_two_hundred_characters_fit_whole_on_a_douyin_cover():
    box = cover_title_box((DOUYIN.cover_width, DOUYIN.cover_height))[2:]
    block = fit_text(TWO_HUNDRED, box, range(120, 35, -4))
    assert "".join(block.lines) == TWO_HUNDRED
    assert block.fits(box)


def test_text_too_long_for_the_box_is_cut_with_an_ellipsis():
    block = fit_text(TWO_HUNDRED * 10, (600, 300), range(60, 23, -4))
    assert block.lines[-1].endswith("…")
    assert block.fits((600, 300))
    assert block.font.size == 24


def test_wrap_keeps_chinese_line_breaking_rules_and_latin_words_whole():
    font = cjk_font(64)
    lines = wrap(LONG + " COVID-19 mRNA疫苗", font, 500)
    assert len(lines) > 3
    assert all(font.getlength(line) <= 500 for line in lines)
    assert not any(line[0] in NO_LINE_START for line in lines)
    assert not any(line[-1] in NO_LINE_END for line in lines)
    assert any("COVID-19" in line for line in lines)
    assert any("mRNA" in line for line in lines)


def test_a_title_is_balanced_so_no_character_is_left_alone_on_its_last_line():
    font = cjk_font(64)
    title = "一分钟看懂台风预警信号"
    width = font.getlength(title[:-1]) + 1
    assert wrap(title, font, width)[-1] == "号"  # the greedy break
    lines = balanced_wrap(title, font, width)
    assert len(lines) == 2 and "".join(lines) == title
    assert min(len(line) for line in lines) >= 5
    assert all(font.getlength(line) <= width for line in lines)
    assert fit_text(title, (round(width), 400), [64], balanced=True).lines == tuple(
        lines
    )


def test_balancing_never_splits_a_word_to_even_the_lines():
    font = cjk_font(64)
    title = "COVID-19 mRNA疫苗"
    lines = balanced_wrap(title, font, font.getlength("COVID-19 mRNA") + 1)
    assert lines == ["COVID-19", "mRNA疫苗"]


def test_uyghur_title_is_set_in_noto_sans_arabic_right_to_left(tmp_path, blank):
    assert font_for(UYGHUR, 40).getname()[0] == "Noto Sans Arabic"
    assert font_for(SHORT, 40).getname()[0] == "Noto Sans CJK SC"
    words = wrap(UYGHUR, arabic_font(60), 400)
    assert " ".join(words) == UYGHUR  # broken between words only
    mask = ink(cover(UYGHUR, tmp_path), blank)
    assert ink_pixels(mask) > 10_000
    # Right to left: the first word ends up at the right of the first line.
    first = Image.new("L", (800, 120))
    ImageDraw.Draw(first).text((0, 0), "قولنى توغرا", font=arabic_font(60), fill=255)
    alone = Image.new("L", (800, 120))
    ImageDraw.Draw(alone).text((0, 0), "قولنى", font=arabic_font(60), fill=255)
    word_width = alone.getbbox()[2]
    line_right = first.getbbox()[2]
    left_part = first.crop((0, 0, line_right - word_width - 5, 120))
    right_part = first.crop((line_right - word_width, 0, line_right, 120))
    assert right_part.tobytes() == alone.crop((0, 0, word_width, 120)).tobytes()
    assert left_part.getbbox() is not None


def test_cover_over_a_background_picture(tmp_path):
    picture = tmp_path / "frame.jpg"
    Image.new("RGB", (640, 360), (200, 40, 40)).save(picture)
    bilibili = PRESETS["bilibili"]
    path = render_cover(SHORT, bilibili, tmp_path / "cover.png", background=picture)
    with Image.open(path) as result:
        assert result.size == (bilibili.cover_width, bilibili.cover_height)
        red, green, _blue = result.convert("RGB").getpixel((10, 10))
        assert red > green  # the picture, dimmed, shows behind the title


def test_unreadable_background_and_unknown_format_are_media_errors(tmp_path):
    junk = tmp_path / "junk.jpg"
    junk.write_text("not a picture")
    with pytest.raises(MediaError, match="背景图"):
        render_cover(SHORT, DOUYIN, tmp_path / "c.jpg", background=junk)
    with pytest.raises(MediaError, match="图片格式"):
        render_cover(SHORT, DOUYIN, tmp_path / "c.doc")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.jpg"]


def test_title_card_is_transparent_outside_its_band_inside_the_safe_area():
    small = replace(DOUYIN, width=360, height=640)
    safe = replace(DOUYIN.safe_area, top=72, bottom=140, left=20, right=60)
    card = title_card(LONG, (small.width, small.height), safe)
    assert card.mode == "RGBA" and card.size == (360, 640)
    left, top, right, bottom = card.getchannel("A").getbbox()
    assert (left, top) == (safe.left, safe.top)
    assert right <= 360 - safe.right + 1 and bottom < 640 - safe.bottom
    assert title_card("   ", (360, 640), safe).getbbox() is None
