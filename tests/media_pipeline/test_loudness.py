"""Loudness measurement and two-pass normalisation, on generated noise and
tones: results land within 1 LU of the target and under its true peak."""

import threading
from pathlib import Path

import ffmpeg
import pytest

from media_pipeline.errors import MediaError
from media_pipeline.loudness import Aim, Loudness, measure, meets, normalise
from media_pipeline.presets import LOUDNESS_TARGETS, LoudnessTarget
from media_pipeline.probe import probe


@pytest.fixture
def make_audio(tmp_path):
    """Write a short lavfi audio source (pink noise by default) to a file."""

    def make(name: str, source: str = "anoisesrc=color=pink:amplitude=0.8") -> Path:
        path = tmp_path / name
        ffmpeg.input(source, f="lavfi", t=5).output(str(path)).overwrite_output().run(
            quiet=True
        )
        return path

    return make


@pytest.fixture
def loud(make_audio) -> Path:
    return make_audio("loud.wav")


@pytest.fixture
def quiet(make_audio) -> Path:
    return make_audio("quiet.wav", "anoisesrc=color=pink:amplitude=0.01")


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_measure_reports_integrated_loudness_true_peak_and_range(make_audio):
    tone = make_audio("tone.wav", "sine=frequency=997:sample_rate=48000,volume=0.5")
    quiet_tone = make_audio(
        "soft.wav", "sine=frequency=997:sample_rate=48000,volume=0.05"
    )
    loud, soft = measure(tone), measure(quiet_tone)
    assert loud.true_peak == pytest.approx(-24.1, abs=0.3)  # 1/8 × 0.5: -24.1 dBFS
    assert loud.integrated - soft.integrated == pytest.approx(20, abs=0.2)
    assert loud.lra == pytest.approx(0, abs=0.5)  # a steady tone has no range


@pytest.mark.parametrize("target", ["gy_t_282", "ebu_r128", "podcast"])
@pytest.mark.parametrize("source", ["loud", "quiet"])
def test_normalised_audio_lands_within_one_lu_under_the_peak_limit(
    target, source, request, tmp_path
):
    goal = LOUDNESS_TARGETS[target]
    out = tmp_path / "out.wav"
    result = normalise(request.getfixturevalue(source), out, goal)
    assert result == measure(out)
    assert result.integrated == pytest.approx(goal.integrated_lufs, abs=1)
    assert result.true_peak <= goal.true_peak_dbtp


def test_quiet_source_with_loud_bursts_is_limited_under_the_peak(make_audio, tmp_path):
    bursts = "aevalsrc='0.005*sin(2*PI*440*t)+0.3*lt(mod(t,1),0.02)*sin(2*PI*3000*t)'"
    source = make_audio("bursts.wav", bursts + ":s=48000")
    goal = LOUDNESS_TARGETS["podcast"]
    result = normalise(source, tmp_path / "out.m4a", goal)
    assert result.integrated == pytest.approx(goal.integrated_lufs, abs=1)
    assert result.true_peak <= goal.true_peak_dbtp


def test_lossy_output_stays_under_the_peak_limit(loud, tmp_path):
    goal = LOUDNESS_TARGETS["gy_t_282"]
    out = tmp_path / "out.m4a"
    result = normalise(loud, out, goal)
    info = probe(out)
    assert (info.audio_codec, info.has_video) == ("aac", False)
    assert result.integrated == pytest.approx(-24, abs=1)
    assert result.true_peak <= -2


def test_a_videos_audio_track_is_normalised_to_an_audio_file(tmp_path):
    video = tmp_path / "clip.mp4"
    picture = ffmpeg.input("testsrc2=size=160x90:rate=10", f="lavfi", t=3)
    tone = ffmpeg.input("sine=frequency=440", f="lavfi", t=3)
    ffmpeg.output(picture, tone, str(video), preset="ultrafast").run(quiet=True)
    result = normalise(video, tmp_path / "audio.wav", LOUDNESS_TARGETS["ebu_r128"])
    assert result.integrated == pytest.approx(-23, abs=1)
    assert not probe(tmp_path / "audio.wav").has_video


def test_custom_target_is_met(loud, tmp_path):
    goal = LoudnessTarget("custom", "自定义", -20, -3, 11)
    assert normalise(loud, tmp_path / "o.flac", goal).integrated == pytest.approx(
        -20, abs=1
    )


def test_progress_rises_through_the_passes_to_one(loud, tmp_path):
    seen: list[float] = []
    normalise(
        loud, tmp_path / "o.wav", LOUDNESS_TARGETS["podcast"], on_progress=seen.append
    )
    assert seen[-1] == 1.0
    assert all(0 < a < b for a, b in zip(seen, seen[1:], strict=False))


def test_silence_cannot_be_normalised(make_audio, tmp_path):
    silence = make_audio("silence.wav", "anullsrc=r=48000:cl=mono")
    with pytest.raises(MediaError, match="无声"):
        normalise(silence, tmp_path / "o.wav", LOUDNESS_TARGETS["podcast"])
    assert not (tmp_path / "o.wav").exists()


def test_video_without_audio_and_unknown_format_are_refused(loud, tmp_path):
    mute = tmp_path / "mute.mp4"
    ffmpeg.input("testsrc2=size=160x90", f="lavfi", t=1).output(
        str(mute), preset="ultrafast"
    ).run(quiet=True)
    with pytest.raises(MediaError, match="没有音轨"):
        measure(mute)
    with pytest.raises(MediaError, match="不支持的音频输出格式"):
        normalise(loud, tmp_path / "o.ogg", LOUDNESS_TARGETS["podcast"])


def test_cancel_and_timeout_leave_no_file(loud, tmp_path):
    stop = threading.Event()
    stop.set()
    goal = LOUDNESS_TARGETS["gy_t_282"]
    with pytest.raises(MediaError, match="已取消"):
        normalise(loud, tmp_path / "a.wav", goal, cancel=stop)
    with pytest.raises(MediaError, match="超时"):
        normalise(loud, tmp_path / "b.wav", goal, timeout=0.01)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loud.wav"]


def test_a_missed_attempt_aims_off_by_the_miss():
    goal = LOUDNESS_TARGETS["gy_t_282"]
    aim = Aim(-24, -2.5)
    overshot = Loudness(integrated=-24.4, true_peak=-1.0, lra=3)
    assert not meets(overshot, goal)
    again = aim.corrected(overshot, goal)
    assert again.integrated == pytest.approx(-23.6)
    assert again.ceiling == pytest.approx(-2.5 - 1.0 - 0.3)
    assert meets(Loudness(-23.2, -2.0, 3), goal)
    assert aim.corrected(Loudness(-26, -5, 3), goal).ceiling == -2.5
