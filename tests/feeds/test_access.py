"""The feeds' access gate: partners fill it, and a second, different gate is
refused rather than silently replacing the first."""

import pytest
from django.core.exceptions import ImproperlyConfigured

import feeds.access
from feeds.access import (
    FeedGate,
    check_gate_installed,
    install_gate,
    installed_gate,
)
from partners.access import authorise
from partners.pull_log import log_pull


def test_partners_install_their_keys_and_pull_log_as_the_gate():
    assert installed_gate() == FeedGate(authorise=authorise, record=log_pull)


def test_installing_the_same_gate_again_is_harmless():
    install_gate(FeedGate(authorise=authorise, record=log_pull))
    assert installed_gate().authorise is authorise


def test_a_different_second_gate_is_refused(monkeypatch):
    monkeypatch.setattr(feeds.access, "_gate", installed_gate())  # restored after

    def open_door(request, feed):
        return None

    with pytest.raises(ImproperlyConfigured):
        install_gate(FeedGate(authorise=open_door, record=log_pull))
    assert installed_gate().authorise is authorise


def test_a_missing_gate_stops_the_start_up_checks(monkeypatch):
    assert check_gate_installed() == []
    monkeypatch.setattr(feeds.access, "_gate", None)
    [error] = check_gate_installed()
    assert error.id == "feeds.E001"
