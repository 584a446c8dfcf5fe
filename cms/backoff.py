"""Waiting between attempts to reach a lost database or Redis: the wait
doubles from FIRST_SECONDS up to MOST_SECONDS, with a little jitter so that
many processes do not all knock at the same moment when it returns."""

import random

FIRST_SECONDS = 1.0
MOST_SECONDS = 30.0


class Backoff:
    def __init__(self, first: float = FIRST_SECONDS, most: float = MOST_SECONDS):
        self.first = first
        self.most = most
        self.failures = 0

    def next_delay(self) -> float:
        delay = min(self.most, self.first * 2**self.failures)
        self.failures += 1
        return delay * random.uniform(0.8, 1.0)

    def reset(self) -> None:
        self.failures = 0
