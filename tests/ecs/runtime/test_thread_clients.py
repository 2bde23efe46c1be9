"""Clients a worker thread made are closed when its work ends (no descriptor left open)."""

from __future__ import annotations

import threading

import pytest

from harness.ecs.runtime.thread_clients import ThreadClients


class Client:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_clients_made_by_a_wrapped_target_are_closed_when_it_returns() -> None:
    made: list[Client] = []
    clients = ThreadClients(lambda: made.append(Client()) or made[-1])  # type: ignore[arg-type,return-value]

    def work() -> None:
        clients()
        clients()
        assert not any(c.closed for c in made), "open while the work runs"

    thread = threading.Thread(target=clients.closing(work))
    thread.start()
    thread.join()
    assert len(made) == 2 and all(c.closed for c in made)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_failing_target_still_closes_and_other_threads_keep_theirs() -> None:
    made: list[Client] = []
    clients = ThreadClients(lambda: made.append(Client()) or made[-1])  # type: ignore[arg-type,return-value]
    mine = clients()

    def fail() -> None:
        clients()
        raise RuntimeError("boom")

    thread = threading.Thread(target=clients.closing(fail))
    thread.start()
    thread.join()
    assert made[1].closed
    assert not mine.closed, "a client of another thread is not touched"
