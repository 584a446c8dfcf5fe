"""Douyin export benchmark: the same export through our pipeline, through a
short-video placement rendered end to end (the worker's whole task: check,
export, cover, 发布文案, package stored) and through a hand-written ffmpeg
command line with the same filters, in the same run, on a generated 60 s
1080p source. Prints each one's wall time over raw ffmpeg's (target at most
1.05), the same ratio in CPU seconds (ours: our process plus all its
children, ffprobe included), which other load on the machine disturbs less,
encode speed (× real time) and peak memory: our process's own and the ffmpeg
children's.

Run: .venv/bin/python benchmarks/media_pipeline.py  (a throw-away SQLite
database and media folder for the placement, as the other benchmarks)
"""

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ffmpeg  # noqa: E402
from environment import environment_line, run_benchmark  # noqa: E402

from media_pipeline.cover import title_card  # noqa: E402
from media_pipeline.export import (  # noqa: E402
    BLUR_RADIUS,
    EXPORT_LRA,
    GOP_SECONDS,
    export,
    subtitle_style,
    wrapped,
)
from media_pipeline.loudness import LOSSY_HEADROOM_DB  # noqa: E402
from media_pipeline.presets import PRESETS  # noqa: E402
from media_pipeline.probe import probe  # noqa: E402
from media_pipeline.subtitles import Cue, write_srt  # noqa: E402

SECONDS = 60
FRAME_RATE = 30
ROUNDS = 2  # in turn, then in reverse: each figure is the faster of two
TARGET_RATIO = 1.05
RAW, OURS, PLACEMENT = "raw ffmpeg", "our pipeline", "placement"
PRESET = PRESETS["douyin"]
TITLE = "台风来了怎么办？气象专家教你三招"
CUE_TEXT = "台风来临前，请储备饮用水、食物和常用药品，关好门窗，远离广告牌和临时建筑。"
CUES = [Cue(start, start + 2.5, CUE_TEXT) for start in range(0, SECONDS, 3)]


def report(line: str = "") -> None:
    print(line, flush=True)  # noqa: T201


def make_source(folder: Path) -> Path:
    path = folder / "source.mp4"
    picture = ffmpeg.input(
        f"testsrc2=size=1920x1080:rate={FRAME_RATE}", f="lavfi", t=SECONDS
    )
    sound = ffmpeg.input("anoisesrc=color=pink:amplitude=0.3", f="lavfi", t=SECONDS)
    ffmpeg.output(
        picture, sound, str(path), preset="veryfast", crf=20, pix_fmt="yuv420p"
    ).overwrite_output().run(quiet=True)
    return path


def make_subtitles(folder: Path) -> Path:
    return write_srt(CUES, folder / "cues.srt")


def raw_command(source: Path, folder: Path, out: Path) -> list[str]:
    """The export written out by hand: the same filters and encoder settings
    as our pipeline's one ffmpeg run (overlays prepared the same way)."""
    title_png = folder / "raw-title.png"
    title_card(TITLE, (PRESET.width, PRESET.height), PRESET.safe_area).save(title_png)
    srt = write_srt(wrapped(CUES, PRESET), folder / "raw-cues.srt")
    style = subtitle_style(PRESET).replace("=", r"\=").replace(",", r"\,")
    w, h = PRESET.width, PRESET.height
    graph = ";".join(
        [
            "[0:v]split=2[fg][bg]",
            f"[bg]scale={w // 4}:{h // 4}:force_original_aspect_ratio=increase,"
            f"crop={w // 4}:{h // 4},boxblur={BLUR_RADIUS},scale={w}:{h}[blurred]",
            f"[fg]scale={w}:{h}:force_original_aspect_ratio=decrease[centre]",
            "[blurred][centre]overlay=x=(W-w)/2:y=(H-h)/2,setsar=1[framed]",
            r"[framed][1:v]overlay=enable=lt(t\,3.0)[titled]",
            f"[titled]subtitles={srt}:force_style={style}[v]",
            f"[0:a]loudnorm=I={PRESET.loudness_lufs}"
            f":TP={PRESET.true_peak_dbtp - LOSSY_HEADROOM_DB}:LRA={EXPORT_LRA},"
            f"aresample={PRESET.sample_rate}[a]",
        ]
    )
    return [
        *("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"),
        *("-i", str(source), "-i", str(title_png), "-filter_complex", graph),
        *("-map", "[v]", "-map", "[a]", "-map_metadata", "-1"),
        *("-c:v", "libx264", "-preset", PRESET.x264_preset),
        *("-profile:v", PRESET.profile, "-level", PRESET.level),
        *("-b:v", str(PRESET.video_bitrate), "-maxrate", str(PRESET.max_bitrate)),
        *("-bufsize", str(2 * PRESET.max_bitrate), "-g", str(FRAME_RATE * GOP_SECONDS)),
        *("-pix_fmt", "yuv420p", "-c:a", "aac", "-aac_pns", "0"),
        *(
            "-b:a",
            str(PRESET.audio_bitrate),
            "-ar",
            str(PRESET.sample_rate),
            "-ac",
            "2",
        ),
        *("-movflags", "+faststart", str(out)),
    ]


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds
    cpu: float  # user + system seconds


def cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def run_raw(command: list[str]) -> tuple[Timing, int]:
    """The raw command's timing and its own peak RSS (kB), from wait4."""
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"raw ffmpeg failed with status {process.returncode}")
    return Timing(elapsed, cpu_seconds(usage)), usage.ru_maxrss


def used_cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return cpu_seconds(own) + cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN))


def run_ours(source: Path, subtitles: Path, out: Path) -> Timing:
    started, cpu = time.perf_counter(), used_cpu()
    export(source, out, PRESET, title=TITLE, subtitles=subtitles)
    return Timing(time.perf_counter() - started, used_cpu() - cpu)


def megabytes(kilobytes: int) -> str:
    return f"{kilobytes / 1024:.0f} MB"


def timing_rows(times: dict[str, list[Timing]]) -> None:
    report(f"{'':<16}{'wall best':>10}{'wall runs':>14}{'speed':>9}{'CPU best':>11}")
    for name, runs in times.items():
        wall = min(run.wall for run in runs)
        listed = " ".join(f"{run.wall:.1f}" for run in runs)
        cpu = min(run.cpu for run in runs)
        report(
            f"{name:<16}{wall:>8.1f} s{listed:>14}{SECONDS / wall:>7.2f} ×{cpu:>9.1f} s"
        )
    raw = times[RAW]
    for name, runs in times.items():
        if name == RAW:
            continue
        for what, key in (("wall", "wall"), ("CPU", "cpu")):
            ours = min(getattr(r, key) for r in runs)
            ratio = ours / min(getattr(r, key) for r in raw)
            verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
            report(
                f"{name} / raw, {what:<4} {ratio:.3f}  "
                f"(target ≤ {TARGET_RATIO}: {verdict})"
            )


def summary(times: dict[str, list[Timing]], raw_rss: int, outputs) -> None:
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report()
    timing_rows(times)
    report(f"load average at the end: {os.getloadavg()[0]:.1f}")
    report()
    report(f"peak RSS, our Python process (self):  {megabytes(self_rss)}")
    report(f"peak RSS, largest ffmpeg child:        {megabytes(children_rss)}")
    report(f"peak RSS, raw ffmpeg alone:            {megabytes(raw_rss)}")
    report()
    for name, info in outputs:
        report(
            f"{name:<14}{info.width}x{info.height} {info.frame_rate:g} fps "
            f"{info.video_codec}/{info.audio_codec} {info.duration:.2f} s "
            f"{info.size_bytes / 1024**2:.1f} MB"
        )


def run_placement(page, outlet) -> tuple[Timing, Path]:
    from short_video_placement import render_placement, video_output

    cpu = used_cpu()
    wall, placement = render_placement(page, outlet)
    return Timing(wall, used_cpu() - cpu), video_output(placement)


def run(var_dir: Path) -> None:
    from short_video_placement import douyin_account, reviewed_video

    folder = var_dir / "bench"
    folder.mkdir()
    report(f"generating a {SECONDS} s 1920x1080 {FRAME_RATE} fps source ...")
    source = make_source(folder)
    subtitles = make_subtitles(folder)
    page, outlet = reviewed_video(source, subtitles, TITLE), douyin_account()
    report(environment_line())
    report(
        f"Douyin export ({PRESET.width}x{PRESET.height}, x264 "
        f"{PRESET.x264_preset}, blur reframe, title, subtitles, loudnorm) "
        f"on {os.cpu_count()} cores, {ROUNDS} rounds"
    )
    raw_out, our_out = folder / "raw.mp4", folder / "ours.mp4"
    command = raw_command(source, folder, raw_out)
    times: dict[str, list[Timing]] = {RAW: [], OURS: [], PLACEMENT: []}
    raw_rss, placed_out = 0, None

    def raw() -> None:
        nonlocal raw_rss
        timing, rss = run_raw(command)
        times[RAW].append(timing)
        raw_rss = max(raw_rss, rss)

    def ours() -> None:
        times[OURS].append(run_ours(source, subtitles, our_out))

    def placed() -> None:
        nonlocal placed_out
        timing, placed_out = run_placement(page, outlet)
        times[PLACEMENT].append(timing)

    for round_number in range(ROUNDS):
        contestants = [raw, ours, placed]
        for contestant in contestants[:: -1 if round_number % 2 else 1]:
            contestant()
        walls = ", ".join(f"{name} {t[-1].wall:.1f} s" for name, t in times.items())
        report(f"round {round_number + 1}: {walls} (load {os.getloadavg()[0]:.1f})")
    outputs = [
        (RAW, probe(raw_out)),
        (OURS, probe(our_out)),
        (PLACEMENT, probe(placed_out)),
    ]
    summary(times, raw_rss, outputs)


def main() -> None:
    run_benchmark(run)


if __name__ == "__main__":
    main()
