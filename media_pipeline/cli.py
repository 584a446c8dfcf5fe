"""`python -m media_pipeline`: probe, export, loudness, cover, presets.

Bad input ends with exit status 1 (2 for bad arguments) and one line on
stderr, never a traceback; progress goes to stderr, results to stdout."""

import argparse
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path

from media_pipeline.cover import render_cover
from media_pipeline.errors import MediaError
from media_pipeline.export import REFRAMES, export
from media_pipeline.loudness import Loudness, measure, normalise
from media_pipeline.presets import LOUDNESS_TARGETS, PRESETS, LoudnessTarget
from media_pipeline.probe import MediaInfo, probe

DEFAULT_LOUDNESS = "gy_t_282"
CUSTOM_LRA = 11


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"错误：{message}（--help 查看用法）\n")


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


class ProgressLine:
    """Percent on stderr: rewritten in place on a terminal, a line every
    10 % in a log."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.shown = -1
        self.terminal = sys.stderr.isatty()

    def __call__(self, fraction: float) -> None:
        percent = int(fraction * 100)
        step = 1 if self.terminal else 10
        if percent // step == self.shown // step and percent < 100:
            return
        self.shown = percent
        text = f"{self.label} {percent:3d}%"
        if self.terminal:
            end = "\n" if percent >= 100 else ""
            sys.stderr.write(f"\r{text}{end}")
        else:
            sys.stderr.write(f"{text}\n")
        sys.stderr.flush()


def info_lines(info: MediaInfo) -> list[str]:
    width = max(len(field.name) for field in fields(info))
    return [
        f"{field.name:<{width}}  {getattr(info, field.name)}" for field in fields(info)
    ]


def loudness_line(loudness: Loudness) -> str:
    return (
        f"integrated {loudness.integrated:.1f} LUFS  true_peak "
        f"{loudness.true_peak:.1f} dBTP  lra {loudness.lra:.1f} LU"
    )


def run_probe(args: argparse.Namespace) -> None:
    for line in info_lines(probe(args.file)):
        out(line)


def run_export(args: argparse.Namespace) -> None:
    info = export(
        args.file,
        args.output,
        PRESETS[args.preset],
        title=args.title,
        subtitles=args.subtitles,
        reframe=args.reframe,
        on_progress=ProgressLine("导出"),
        timeout=args.timeout,
    )
    out(
        f"{args.output}  {info.width}x{info.height}  {info.frame_rate:g} fps  "
        f"{info.video_codec}/{info.audio_codec}  {info.duration:.2f} s  "
        f"{info.size_bytes} bytes"
    )


def loudness_target(args: argparse.Namespace) -> LoudnessTarget:
    if args.target is None:
        return LOUDNESS_TARGETS[args.preset or DEFAULT_LOUDNESS]
    return LoudnessTarget("custom", "自定义", args.target, args.true_peak, CUSTOM_LRA)


def run_loudness(args: argparse.Namespace) -> None:
    if args.output is None:
        out(loudness_line(measure(args.file, on_progress=ProgressLine("测量"))))
        return
    goal = loudness_target(args)
    result = normalise(
        args.file,
        args.output,
        goal,
        on_progress=ProgressLine("标准化"),
        timeout=args.timeout,
    )
    out(f"{args.output}  {goal.name}  {loudness_line(result)}")


def run_cover(args: argparse.Namespace) -> None:
    cover = render_cover(
        args.title, PRESETS[args.preset], args.output, background=args.background
    )
    out(str(cover))


def cell_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(cell_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell + " " * (width - cell_width(cell))
            for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


def optional(value: float | None, unit: Callable[[float], str]) -> str:
    return "-" if value is None else unit(value)


def run_presets(_args: argparse.Namespace) -> None:
    rows = [
        ["名称", "平台", "画面", "帧率", "码率", "最长", "最大", "封面", "字幕", "响度"]
    ]
    for p in PRESETS.values():
        rows.append(
            [
                p.name,
                p.label,
                f"{p.width}x{p.height}",
                f"≤{p.frame_rate:g}",
                f"{p.video_bitrate / 1e6:g}M/{p.audio_bitrate // 1000}k",
                optional(p.max_seconds, lambda s: f"{s / 60:g} 分钟"),
                optional(p.max_bytes, lambda b: f"{b / 1024**3:g} GB"),
                f"{p.cover_width}x{p.cover_height}",
                "必需" if p.requires_subtitles else "可选",
                f"{p.loudness_lufs:g} LUFS",
            ]
        )
    for line in table(rows):
        out(line)
    out()
    rows = [["响度目标", "名称", "响度", "真峰值", "响度范围"]]
    for t in LOUDNESS_TARGETS.values():
        rows.append(
            [
                t.name,
                t.label,
                f"{t.integrated_lufs:g} LUFS",
                f"≤{t.true_peak_dbtp:g} dBTP",
                f"{t.lra:g} LU",
            ]
        )
    for line in table(rows):
        out(line)


def add_commands(commands) -> None:
    command = commands.add_parser("probe", help="显示媒体信息")
    command.add_argument("file", type=Path)
    command.set_defaults(run=run_probe)

    command = commands.add_parser("export", help="按平台预设导出短视频")
    command.add_argument("file", type=Path)
    command.add_argument("--preset", required=True, choices=PRESETS)
    command.add_argument("--title", required=True)
    command.add_argument("--subtitles", type=Path)
    command.add_argument("--reframe", choices=REFRAMES, default="blur")
    command.add_argument("--timeout", type=float, help="秒")
    command.add_argument("-o", "--output", type=Path, required=True)
    command.set_defaults(run=run_export)

    command = commands.add_parser("loudness", help="测量响度，或用 -o 标准化")
    command.add_argument("file", type=Path)
    target = command.add_mutually_exclusive_group()
    target.add_argument("--target", type=float, help="目标响度 LUFS，如 -24")
    target.add_argument("--preset", choices=LOUDNESS_TARGETS)
    command.add_argument(
        "--true-peak", type=float, default=-1.0, help="真峰值上限 dBTP（配合 --target）"
    )
    command.add_argument("--timeout", type=float, help="秒")
    command.add_argument("-o", "--output", type=Path)
    command.set_defaults(run=run_loudness)

    command = commands.add_parser("cover", help="生成带标题的封面")
    command.add_argument("--title", required=True)
    command.add_argument("--preset", required=True, choices=PRESETS)
    command.add_argument("--background", type=Path)
    command.add_argument("-o", "--output", type=Path, required=True)
    command.set_defaults(run=run_cover)

    command = commands.add_parser("presets", help="列出平台预设和响度目标")
    command.set_defaults(run=run_presets)


def parser() -> Parser:
    result = Parser(prog="python -m media_pipeline", description=__doc__)
    add_commands(result.add_subparsers(required=True, metavar="COMMAND"))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except MediaError as error:
        sys.stderr.write(f"错误：{error.message}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("已取消\n")
        return 130
    return 0
