"""The radio adapter: a timed script against the slot, and broadcast-loud audio."""

import csv
import io

import ffmpeg
import pytest
from django.core.files import File
from wagtailmedia.models import Media

from channels.radio.adapter import RadioAdapter
from channels.radio.script import ScriptLine, cue_sheet, mark
from media_pipeline.loudness import measure


@pytest.fixture
def radio_outlet(make_outlet):
    return make_outlet(
        "radio", name="科学五分钟", spec={"slot_seconds": 300, "chars_per_minute": 240}
    )


def body_of(chars: int):
    return [("paragraph", f"<p>{'科' * chars}</p>")]


def test_a_five_minute_slot_cannot_take_1800_characters(make_episode, radio_outlet):
    episode = make_episode(1, body=body_of(1800))
    [problem] = RadioAdapter().check(episode, radio_outlet)
    assert problem.code == "too_long"
    assert "超出 300 秒的时段" in problem.message


def test_a_script_that_fits_passes(make_episode, radio_outlet):
    assert RadioAdapter().check(make_episode(1, body=body_of(1000)), radio_outlet) == []


def test_script_carries_timing_marks_from_the_speaking_rate(make_episode, radio_outlet):
    episode = make_episode(1, body=body_of(480))
    package = RadioAdapter().render(episode, radio_outlet)
    script = package.files[0].content.decode()
    assert script.splitlines()[0] == "节目：科学五分钟（FM 91.6）"
    assert "[00:00] 主持人：欢迎收听。" in script
    assert package.summary["seconds"] == 120 + 3 + 5  # body, greeting, credit
    assert script.rstrip().endswith("[02:08] 结束")
    assert package.summary["slot_seconds"] == 300
    assert mark(125) == "[02:05]"


@pytest.fixture
def quiet_audio(tmp_path) -> Media:
    path = tmp_path / "episode.mp3"
    tone = ffmpeg.input("sine=frequency=440:duration=8", f="lavfi")
    tone.filter("volume", 0.05).output(str(path), ac=1, ar=44100).run(quiet=True)
    with path.open("rb") as stream:
        return Media.objects.create(
            title="第1期音频",
            file=File(stream, name="episode.mp3"),
            type="audio",
            duration=8,
        )


def test_episode_audio_is_normalised_to_gy_t_282(
    make_episode, radio_outlet, quiet_audio, tmp_path
):
    episode = make_episode(1, body=body_of(200), audio=quiet_audio)
    package = RadioAdapter().render(episode, radio_outlet)
    names = [file.name.split(".", 1)[1] for file in package.files]
    assert names == ["script.txt", "wav", "cues.csv"]
    path = tmp_path / "out.wav"
    path.write_bytes(package.files[1].content)
    loudness = measure(path)
    assert abs(loudness.integrated - -24) <= 1 and loudness.true_peak <= -2
    assert package.summary["loudness_lufs"] == pytest.approx(
        loudness.integrated, abs=0.2
    )


def test_audio_longer_than_the_slot_is_reported(make_episode, make_outlet, quiet_audio):
    short_slot = make_outlet("radio", name="一分钟", spec={"slot_seconds": 5})
    episode = make_episode(1, body=body_of(10), audio=quiet_audio)
    codes = [problem.code for problem in RadioAdapter().check(episode, short_slot)]
    assert "audio_too_long" in codes


def test_a_comma_in_the_script_stays_inside_its_cue_sheet_cell():
    lines = [ScriptLine(0, 5, "主持人", "Hello, 听众朋友")]
    rows = list(csv.reader(io.StringIO(cue_sheet(lines, None))))
    assert rows == [["开始", "时长（秒）", "内容"], ["[00:00]", "5", "Hello, 听众朋友"]]
