"""With no Vigil to answer, authorize denies with the error and redact/record raise."""

import socket
import time
from collections.abc import Iterator

import pytest
from connectrpc.code import Code

from vigil_client import UNAVAILABLE_REASON, VigilClient, VigilError, principal

ci_job = principal("repo:acme/api:ref:refs/heads/main", "ci_job")


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers, like a hung server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_denies_with_the_error_when_vigil_is_unreachable(closed_port: int) -> None:
    with VigilClient(f"http://127.0.0.1:{closed_port}") as vigil:
        d = vigil.authorize(ci_job, "secret.read", "secret:prod/deploy-key")
    assert (d.denied, d.reason_codes, d.decision_id) == (True, (UNAVAILABLE_REASON,), "")
    assert d.error is not None and d.error.code == Code.UNAVAILABLE
    assert "Connection refused" in str(d.error)


def test_allows_with_the_error_when_fail_open_and_vigil_is_unreachable(closed_port: int) -> None:
    with VigilClient(f"http://127.0.0.1:{closed_port}", fail_open=True) as vigil:
        d = vigil.authorize(ci_job, "secret.read", "secret:prod/deploy-key")
    assert (d.allowed, d.error is not None) == (True, True)


def test_denies_within_the_timeout_when_vigil_hangs(silent_port: int) -> None:
    started = time.monotonic()
    with VigilClient(f"http://127.0.0.1:{silent_port}", timeout=0.3) as vigil:
        d = vigil.authorize(ci_job, "secret.read", "secret:prod/deploy-key")
    assert time.monotonic() - started < 5
    assert d.denied and d.error is not None and d.error.code == Code.DEADLINE_EXCEEDED


def test_redact_and_record_raise_instead_of_returning_unmasked_text(closed_port: int) -> None:
    with VigilClient(f"http://127.0.0.1:{closed_port}") as vigil:
        with pytest.raises(VigilError) as redact_error:
            vigil.redact("token ghp_0123456789abcdefghijklmnopqrstuvwxyz")
        with pytest.raises(VigilError):
            vigil.record("command", principal=ci_job, content="echo hi")
    assert redact_error.value.unavailable
