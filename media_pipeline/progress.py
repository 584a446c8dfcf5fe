"""Running ffmpeg as a child process we can watch: `-progress pipe:1` gives
the encoded position, which against the known duration becomes
`on_progress(fraction)` calls; a timeout or a cancel request stops the child;
ffmpeg's last stderr lines go into the error when it fails."""

import os
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from queue import Empty, Queue

from media_pipeline.errors import MediaError

OnProgress = Callable[[float], None]
Cancel = threading.Event | Callable[[], bool]

# Flags put right after the program name: machine-readable progress on stdout,
# no interactive keys, no stats line mixed into stderr.
RUNNER_FLAGS = ("-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1")
POLL_SECONDS = 0.1  # how often a silent ffmpeg is checked for cancel/timeout
STOP_GRACE_SECONDS = 5  # between SIGTERM and SIGKILL
KEPT_STDERR_LINES = 200  # enough for loudnorm's JSON report at the end
ERROR_LINES = 20  # what an error carries as details
GENERIC_LINES = frozenset({"Conversion failed!"})
_END = object()


class Reporter:
    """Passes on strictly increasing fractions below 1.0 while ffmpeg runs;
    1.0 itself only once the run has succeeded."""

    def __init__(self, on_progress: OnProgress | None) -> None:
        self.on_progress = on_progress
        self.last = 0.0

    def __call__(self, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 0.999)
        if self.on_progress is not None and fraction > self.last:
            self.last = fraction
            self.on_progress(fraction)

    def finish(self) -> None:
        if self.on_progress is not None:
            self.on_progress(1.0)


def scaled(on_progress: OnProgress | None, start: float, end: float) -> OnProgress:
    """A callback mapping one step's 0..1 onto start..end of the whole job."""

    def report(fraction: float) -> None:
        if on_progress is not None:
            on_progress(start + (end - start) * fraction)

    return report


def is_cancelled(cancel: Cancel | None) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def progress_seconds(lines: Iterator[str]) -> Iterator[float]:
    """The encoded position, in seconds, from ffmpeg's `-progress` lines."""
    for line in lines:
        key, _, value = line.strip().partition("=")
        if key == "out_time_us" and value.lstrip("-").isdigit():
            yield int(value) / 1_000_000


def _read_progress(pipe, queue: Queue) -> None:
    try:
        lines = (raw.decode(errors="replace") for raw in iter(pipe.readline, b""))
        for seconds in progress_seconds(lines):
            queue.put(seconds)
    finally:
        queue.put(_END)


def _read_stderr(pipe, lines: deque[str]) -> None:
    for raw in iter(pipe.readline, b""):
        lines.append(raw.decode(errors="replace").rstrip())


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def error_details(lines: Sequence[str]) -> str:
    return "\n".join(list(lines)[-ERROR_LINES:])


def last_reason(lines: Sequence[str]) -> str:
    meaningful = [line for line in lines if line.strip() and line not in GENERIC_LINES]
    return meaningful[-1].strip()[:200] if meaningful else "没有错误输出"


class Run:
    """One ffmpeg child: its pipes, readers and deadline."""

    def __init__(self, command: Sequence[str], timeout: float | None) -> None:
        self.stderr: deque[str] = deque(maxlen=KEPT_STDERR_LINES)
        self.queue: Queue = Queue()
        self.started = time.monotonic()
        self.timeout = timeout
        try:
            self.process = subprocess.Popen(
                [command[0], *RUNNER_FLAGS, *command[1:]],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as error:
            raise MediaError(f"无法启动 {command[0]}：{error}") from error
        self.readers = [
            threading.Thread(
                target=_read_progress, args=(self.process.stdout, self.queue)
            ),
            threading.Thread(
                target=_read_stderr, args=(self.process.stderr, self.stderr)
            ),
        ]
        for reader in self.readers:
            reader.start()

    def remaining(self) -> float | None:
        if self.timeout is None:
            return None
        return self.timeout - (time.monotonic() - self.started)

    def positions(self) -> Iterator[float | None]:
        """Encoded positions as they come; None every poll without news."""
        while True:
            try:
                item = self.queue.get(timeout=POLL_SECONDS)
            except Empty:
                yield None
                continue
            if item is _END:
                return
            yield item

    def close(self) -> None:
        if self.process.poll() is None:
            _stop(self.process)
        for reader in self.readers:
            reader.join()
        self.process.stdout.close()
        self.process.stderr.close()


def run_ffmpeg(
    command: Sequence[str],
    *,
    name: str,
    duration: float,
    on_progress: OnProgress | None = None,
    timeout: float | None = None,
    cancel: Cancel | None = None,
) -> list[str]:
    """Run a compiled ffmpeg command (`["ffmpeg", ...]`) to its end and return
    its last stderr lines; raise MediaError naming `name` when it fails, runs
    past `timeout` seconds or `cancel` is set. The child never outlives us."""
    report = Reporter(on_progress)
    run = Run(command, timeout)
    try:
        for seconds in run.positions():
            if seconds is not None and duration > 0:
                report(seconds / duration)
            check_stop(run, name, cancel)
        while (returncode := run.process.poll()) is None:
            check_stop(run, name, cancel)
            time.sleep(POLL_SECONDS)
    finally:
        run.close()
    if returncode != 0:
        reason = last_reason(run.stderr)
        raise MediaError(
            f"ffmpeg 处理失败：{name}（{reason}）", error_details(run.stderr)
        )
    report.finish()
    return list(run.stderr)


def check_stop(run: Run, name: str, cancel: Cancel | None) -> None:
    if is_cancelled(cancel):
        raise MediaError(f"已取消：{name}", error_details(run.stderr))
    remaining = run.remaining()
    if remaining is not None and remaining <= 0:
        raise timed_out(run, name)


def timed_out(run: Run, name: str) -> MediaError:
    return MediaError(
        f"处理超时（超过 {run.timeout:g} 秒），已停止：{name}",
        error_details(run.stderr),
    )


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """A hidden temporary name next to `target` to write to: renamed onto
    `target` when the block succeeds, deleted when it fails or is stopped."""
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        yield temp
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
