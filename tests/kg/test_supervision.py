"""The supervisor on its own: fail fast while a part is down, bring it back with back-off, log once, leak no secret.

The part here is a plain function that fails a given number of times; the
real parts (the embedded graph server, a Chroma server) are killed in
tests/test_supervised_parts.py.
"""

from __future__ import annotations

import logging
import threading

import pytest

from kg.supervision import Backoff, Supervisor, redact

pytestmark = pytest.mark.fast

SECRET = "s3cret-root-password"


class PartDown(RuntimeError):
    pass


class FlakyPart:
    """Answers once ``failures`` recovery attempts have failed; each failure names the secret, as a careless
    driver message might."""

    def __init__(self, failures: int, causes: tuple[str, ...] = ("refused",)) -> None:
        self.failures = failures
        self.causes = causes
        self.attempts = 0
        self.released = threading.Event()

    def recover(self) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            cause = self.causes[min(self.attempts - 1, len(self.causes) - 1)]
            raise PartDown(f"{cause} (password {SECRET})")


def supervisor_for(part: FlakyPart, first: float = 0.01) -> Supervisor:
    return Supervisor("test part", part.recover, PartDown, Backoff(first, first * 4), lambda: (SECRET,))


def test_a_failure_trips_the_part_and_calls_fail_at_once_until_it_is_back(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kg.supervision")
    part = FlakyPart(failures=3)
    supervisor = supervisor_for(part)
    assert supervisor.call(lambda: 42, lambda exc: isinstance(exc, PartDown)) == 42

    def failing() -> int:
        raise PartDown(f"refused (password {SECRET})")

    with pytest.raises(PartDown):
        supervisor.call(failing, lambda exc: isinstance(exc, PartDown))
    assert supervisor.wait_up(30)
    assert part.attempts == 4 and supervisor.outages == 1 and supervisor.generation == 1
    assert supervisor.call(lambda: 7, lambda exc: isinstance(exc, PartDown)) == 7
    lines = [record.getMessage() for record in caplog.records]
    assert len([line for line in lines if "test part down:" in line]) == 1
    assert len([line for line in lines if "test part back after" in line]) == 1
    assert not [line for line in lines if "still down" in line]  # the same cause again is not worth a line
    assert not [line for line in lines if SECRET in line]


def test_while_down_a_call_is_refused_without_running(caplog: pytest.LogCaptureFixture) -> None:
    part = FlakyPart(failures=10**6)
    supervisor = supervisor_for(part, first=5.0)
    supervisor.trip(PartDown(f"gone, password {SECRET}"))
    ran: list[int] = []
    with pytest.raises(PartDown, match="test part is down since") as refused:
        supervisor.call(lambda: ran.append(1), lambda exc: True)
    assert ran == [] and SECRET not in str(refused.value) and "***" in str(refused.value)
    supervisor.close()
    assert not supervisor.up


def test_a_new_cause_while_recovering_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="kg.supervision")
    part = FlakyPart(failures=4, causes=("refused", "database lost", "database lost", "database lost"))
    supervisor = supervisor_for(part)
    supervisor.trip(PartDown(f"refused (password {SECRET})"))
    assert supervisor.wait_up(30)
    still = [record.getMessage() for record in caplog.records if "still down" in record.getMessage()]
    assert len(still) == 1 and "database lost" in still[0] and SECRET not in still[0]


def test_a_call_begun_before_the_recovery_does_not_trip_the_part_again() -> None:
    part = FlakyPart(failures=0)
    supervisor = supervisor_for(part)
    before = supervisor.generation
    supervisor.trip(PartDown("refused"))
    assert supervisor.wait_up(30)
    supervisor.trip(PartDown("a late answer from the dead server"), before)
    assert supervisor.up and supervisor.outages == 1


def test_backoff_doubles_up_to_its_most() -> None:
    delays = iter(Backoff(1.0, 5.0).delays())
    assert [next(delays) for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    with pytest.raises(ValueError):
        Backoff(2.0, 1.0)


def test_redact_removes_every_secret_and_ignores_empty_ones() -> None:
    assert redact("user root password hunter2 at hunter2", ["hunter2", ""]) == "user root password *** at ***"
