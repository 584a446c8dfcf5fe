"""Subtitle files as editors send them: SRT or WebVTT, UTF-8 with or without
a BOM, UTF-16 or GBK; bad timing is named by cue number and line."""

from pathlib import Path

import pytest

from media_pipeline.errors import MediaError
from media_pipeline.subtitles import Cue, load_subtitles, write_srt

SRT = """1
00:00:00,000 --> 00:00:01,500
台风来临前，
请储备饮用水。

2
00:00:01,600 --> 00:00:03,000
<i>关好门窗</i>，远离广告牌。
"""
VTT = """WEBVTT
Kind: captions

NOTE 这是注释，不是字幕

intro
00:01.600 --> 00:03.000 align:center line:90%
<v 主持人>关好门窗 &amp; 远离广告牌

00:00.000 --> 00:01.500
台风来临前
"""


@pytest.fixture
def write(tmp_path):
    def make(text: str, encoding: str = "utf-8", name: str = "cues.srt") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return make


def test_srt_in_utf8_reads_cues_with_plain_text(write):
    cues = load_subtitles(write(SRT))
    assert cues == [
        Cue(0.0, 1.5, "台风来临前，\n请储备饮用水。"),
        Cue(1.6, 3.0, "关好门窗，远离广告牌。"),
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_srt_in_other_encodings_reads_the_same(write, encoding):
    assert load_subtitles(write(SRT, encoding)) == load_subtitles(
        write(SRT, "utf-8", "u.srt")
    )


def test_windows_line_endings_read_the_same(write):
    assert load_subtitles(write(SRT.replace("\n", "\r\n"))) == load_subtitles(
        write(SRT, name="unix.srt")
    )


def test_webvtt_skips_header_and_notes_strips_markup_and_sorts(write):
    cues = load_subtitles(write(VTT, name="cues.vtt"))
    assert cues == [Cue(0.0, 1.5, "台风来临前"), Cue(1.6, 3.0, "关好门窗 & 远离广告牌")]


def test_overlapping_cues_are_kept(write):
    overlapping = (
        "1\n00:00:00,000 --> 00:00:02,000\n甲\n\n2\n00:00:01,000 --> 00:00:03,000\n乙\n"
    )
    assert [cue.text for cue in load_subtitles(write(overlapping))] == ["甲", "乙"]


def test_cue_ending_before_it_starts_is_named_by_number_and_line(write):
    bad = SRT.replace("00:00:01,600 --> 00:00:03,000", "00:00:03,000 --> 00:00:01,600")
    with pytest.raises(MediaError) as caught:
        load_subtitles(write(bad))
    message = caught.value.message
    assert "第 2 条" in message and "第 6 行" in message and "cues.srt" in message
    assert "不晚于开始时间" in message


@pytest.mark.parametrize(
    "timing",
    [
        "-00:00:01,000 --> 00:00:02,000",
        "00:00:01 --> 00:00:02",
        "00:61:00,000 --> 01:02:00,000",
    ],
)
def test_unreadable_timing_is_named(write, timing):
    with pytest.raises(MediaError, match="第 1 条（第 1 行）时间格式无法识别"):
        load_subtitles(write(f"{timing}\n字幕\n"))


def test_block_without_timing_is_named(write):
    with pytest.raises(MediaError, match="第 3 条（第 10 行）缺少时间行"):
        load_subtitles(write(SRT + "\n3\n没有时间的字幕\n"))


def test_empty_or_undecodable_file_is_refused(write, tmp_path):
    with pytest.raises(MediaError, match="没有字幕"):
        load_subtitles(write(""))
    garbage = tmp_path / "garbage.srt"
    garbage.write_bytes(b"\xff\xff\xff")  # neither UTF-8 nor GB18030
    with pytest.raises(MediaError, match="编码无法识别.*garbage.srt"):
        load_subtitles(garbage)
    with pytest.raises(MediaError, match="无法读取"):
        load_subtitles(tmp_path / "missing.srt")


def test_written_srt_is_utf8_and_reads_back_the_same(write, tmp_path):
    cues = load_subtitles(write(SRT, "gbk"))
    out = write_srt(cues, tmp_path / "out.srt")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("1\n00:00:00,000 --> 00:00:01,500\n台风来临前，")
    assert load_subtitles(out) == cues


def test_a_playlist_or_other_text_given_as_subtitles_is_refused(write):
    playlist = "#EXTM3U\n#EXTINF:2,\n/srv/media/secret.mp4\n#EXT-X-ENDLIST\n"
    ass = "[Script Info]\nScriptType: v4.00+\n\n[Events]\nDialogue: 0,0:00:00.00\n"
    for name, text in (("cues.srt", playlist), ("cues.vtt", ass)):
        with pytest.raises(MediaError, match=f"不是 SRT 或 WebVTT 字幕.*{name}"):
            load_subtitles(write(text, name=name))


def test_binary_data_given_as_subtitles_is_refused(make_clip, tmp_path):
    video_as_srt = tmp_path / "video.srt"
    video_as_srt.write_bytes(make_clip(seconds=1).read_bytes())
    with pytest.raises(MediaError, match="字幕.*video.srt"):
        load_subtitles(video_as_srt)
    decodable = tmp_path / "decodable.srt"
    decodable.write_bytes(b"\x00\x01\x02\x03" * 64 + SRT.encode())
    with pytest.raises(MediaError, match="不是 SRT 或 WebVTT 字幕文本（含二进制数据）"):
        load_subtitles(decodable)
