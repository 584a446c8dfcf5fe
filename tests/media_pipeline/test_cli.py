"""`python -m media_pipeline`: results on stdout, progress on stderr, and
for bad input a non-zero status with one line of error, no traceback."""

import subprocess
import sys
from pathlib import Path

import ffmpeg
import pytest
from PIL import Image

from media_pipeline.cli import main
from media_pipeline.presets import LOUDNESS_TARGETS, PRESETS
from media_pipeline.probe import probe

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clip(tmp_path) -> Path:
    """One second of full-HD testsrc2 with a tone: big enough for Bilibili."""
    path = tmp_path / "clip.mp4"
    picture = ffmpeg.input("testsrc2=size=1920x1080:rate=25", f="lavfi", t=1)
    tone = ffmpeg.input("sine=frequency=440", f="lavfi", t=1)
    ffmpeg.output(picture, tone, str(path), preset="ultrafast", pix_fmt="yuv420p").run(
        quiet=True
    )
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "media_pipeline", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_presets_lists_every_preset_and_loudness_target(capsys):
    assert main(["presets"]) == 0
    table = capsys.readouterr().out
    for name in [*PRESETS, *LOUDNESS_TARGETS]:
        assert name in table
    assert "1080x1920" in table and "-24 LUFS" in table


def test_probe_prints_the_fields(clip, capsys):
    assert main(["probe", str(clip)]) == 0
    printed = capsys.readouterr().out
    assert "width           1920" in printed and "video_codec     h264" in printed


def test_probe_of_a_non_media_file_fails_with_one_line(tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_text("hello")
    result = run_cli("probe", str(fake))
    assert result.returncode == 1
    assert "fake.mp4" in one_error_line(result.stderr)


def test_export_writes_the_platform_file_and_reports_progress(clip, tmp_path, capsys):
    out = tmp_path / "bili.mp4"
    code = main(
        ["export", str(clip), "--preset", "bilibili", "--title", "黑洞", "-o", str(out)]
    )
    assert code == 0
    printed = capsys.readouterr()
    assert "1920x1080" in printed.out and "导出 100%" in printed.err
    assert probe(out).video_codec == "h264"


def test_export_refused_by_the_preset_fails_with_the_reasons(clip, tmp_path):
    out = tmp_path / "douyin.mp4"
    result = run_cli(
        "export", str(clip), "--preset", "douyin", "--title", "黑洞", "-o", str(out)
    )
    assert result.returncode == 1
    assert "要求字幕" in one_error_line(result.stderr)
    assert not out.exists()


def test_unknown_preset_is_a_usage_error_on_one_line(clip, tmp_path):
    result = run_cli(
        "export", str(clip), "--preset", "myspace", "--title", "x", "-o", "o.mp4"
    )
    assert result.returncode == 2
    assert "myspace" in one_error_line(result.stderr)


def test_loudness_measures_without_output_and_normalises_with_it(
    clip, tmp_path, capsys
):
    assert main(["loudness", str(clip)]) == 0
    assert "LUFS" in capsys.readouterr().out
    out = tmp_path / "radio.wav"
    assert main(["loudness", str(clip), "--target", "-24", "-o", str(out)]) == 0
    integrated = capsys.readouterr().out.split("integrated ")[1].split()[0]
    assert float(integrated) == pytest.approx(-24, abs=1)
    assert main(["loudness", str(clip), "--preset", "ebu_r128", "-o", str(out)]) == 0
    assert "ebu_r128" in capsys.readouterr().out


def test_cover_is_written_at_the_preset_size(tmp_path, capsys):
    out = tmp_path / "cover.jpg"
    assert (
        main(["cover", "--title", "台风来了", "--preset", "douyin", "-o", str(out)])
        == 0
    )
    with Image.open(out) as cover:
        assert cover.size == (1080, 1440)


def test_missing_input_fails_with_one_line(tmp_path):
    result = run_cli("loudness", str(tmp_path / "nothing.wav"))
    assert result.returncode == 1
    assert "不存在" in one_error_line(result.stderr)
