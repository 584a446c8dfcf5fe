"""cms.write_buffer with its background threads on: a due buffer is written
by a thread of its own, one at a time, and a failed write keeps its entries
and is tried again once `seconds` have passed, not by every request."""

import threading
import time

from django.db import OperationalError

from cms.write_buffer import WriteBuffer

SECONDS = 0.3


def buffer_writing_to(write) -> WriteBuffer:
    return WriteBuffer(
        "test buffer",
        write,
        batch=lambda: 3,
        seconds=lambda: SECONDS,
        background=lambda: True,
    )


def wait_until(condition, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.01)


def test_a_due_buffer_is_written_by_one_thread_at_a_time():
    written, threads, at_once, running = [], set(), [], []
    release = threading.Event()

    def write(entries):
        running.append(1)
        at_once.append(len(running))
        threads.add(threading.current_thread())
        release.wait(5)
        written.extend(entries)
        running.pop()

    buffer = buffer_writing_to(write)
    for n in range(9):  # due at 3, again while the first write runs
        buffer.add(n)
    release.set()
    wait_until(lambda: len(written) == 9)
    assert sorted(written) == list(range(9))
    assert max(at_once) == 1 and threading.main_thread() not in threads


def test_a_failed_write_keeps_its_entries_and_waits_before_trying_again():
    attempts, written = [], []

    def write(entries):
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise OperationalError("the database is away")
        written.extend(entries)

    buffer = buffer_writing_to(write)
    for n in range(3):
        buffer.add(n)
    wait_until(lambda: attempts)
    for n in range(3, 12):  # each finds the buffer due: none may write yet
        buffer.add(n)
    wait_until(lambda: len(written) == 12)
    assert sorted(written) == list(range(12))
    assert len(attempts) <= 3
    assert attempts[1] - attempts[0] >= SECONDS * 0.9
