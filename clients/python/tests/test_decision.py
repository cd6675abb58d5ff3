"""A Decision is allowed only on an explicit ALLOW, and a failed call is a deny."""

from connectrpc.code import Code
from vigil.v1.approval_pb import Approval
from vigil.v1.common_pb import Reason
from vigil.v1.policy_service_pb import AuthorizeResponse

from vigil_client import (
    FAIL_OPEN_REASON,
    REFUSED_REASON,
    UNAVAILABLE_REASON,
    Decision,
    Outcome,
    VigilError,
)


def test_reads_an_allow_from_vigil() -> None:
    d = Decision.from_response(AuthorizeResponse(decision_id="d1", decision=Outcome.ALLOW))
    assert (d.allowed, d.denied, d.requires_approval, d.decision_id, d.error) == (
        True,
        False,
        False,
        "d1",
        None,
    )


def test_reads_a_deny_with_its_reasons() -> None:
    res = AuthorizeResponse(
        decision=Outcome.DENY, reasons=[Reason(code="offboarded_identity", message="m")]
    )
    d = Decision.from_response(res)
    assert (d.denied, d.reason_codes) == (True, ("offboarded_identity",))


def test_reads_the_approval_to_wait_for() -> None:
    res = AuthorizeResponse(decision=Outcome.REQUIRE_APPROVAL, approval=Approval(id="a1"))
    d = Decision.from_response(res)
    assert (d.requires_approval, d.allowed, d.denied, d.approval_id) == (True, False, False, "a1")


def test_treats_a_missing_outcome_as_a_deny() -> None:
    assert Decision.from_response(AuthorizeResponse()).denied


def test_denies_when_vigil_gave_no_answer() -> None:
    error = VigilError("connection refused", code=Code.UNAVAILABLE)
    d = Decision.from_error(error)
    assert (d.denied, d.reason_codes, d.error) == (True, (UNAVAILABLE_REASON,), error)


def test_fail_open_allows_only_when_vigil_gave_no_answer() -> None:
    for code in (Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED, None):
        d = Decision.from_error(VigilError("down", code=code), fail_open=True)
        assert (d.allowed, d.reason_codes) == (True, (FAIL_OPEN_REASON,)), code
    for code in (
        Code.INVALID_ARGUMENT,
        Code.UNAUTHENTICATED,
        Code.PERMISSION_DENIED,
        Code.INTERNAL,
    ):
        d = Decision.from_error(VigilError("refused", code=code), fail_open=True)
        assert (d.denied, d.reason_codes) == (True, (REFUSED_REASON,)), code
