"""What ``VigilClient.authorize`` answers: Vigil's decision, or a fail-closed stand-in for one."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.v1.common_pb import Decision as Outcome
from vigil.v1.common_pb import Reason
from vigil.v1.obligation_pb import Obligation
from vigil.v1.policy_service_pb import AuthorizeResponse

from .errors import VigilError

#: Reason code of the deny a client answers when Vigil gave no answer (down, too slow, broken).
UNAVAILABLE_REASON = "vigil_no_answer"
#: Reason code of the deny a client answers when Vigil refused the request (e.g. invalid).
REFUSED_REASON = "vigil_refused"
#: Reason code of the allow a fail-open client answers when Vigil gave no answer.
FAIL_OPEN_REASON = "vigil_no_answer_fail_open"


@dataclass(frozen=True)
class Decision:
    """An authorization decision.

    Only an explicit ``ALLOW`` from Vigil (or a fail-open stand-in) is ``allowed``; anything
    else, including an outcome this client does not know, is ``denied`` unless it is
    ``requires_approval``. Obligations must be honoured before proceeding, and one the caller
    does not understand must be treated as a deny.

    Attributes:
        outcome: ``vigil.v1.Decision`` (ALLOW, DENY, REQUIRE_APPROVAL or UNSPECIFIED).
        reasons: Why, as ``vigil.v1.Reason`` messages (``code``, ``message``).
        obligations: ``vigil.v1.Obligation`` messages the caller must fulfil if it proceeds.
        approval_id: The approval to wait for (REQUIRE_APPROVAL) or the one redeemed; else "".
        decision_id: Vigil's id of the decision and of its audit record; "" if Vigil gave none.
        error: Why Vigil gave no decision (the client made this one up); ``None`` otherwise.
        response: Vigil's full answer, or ``None`` when there was none.
    """

    outcome: Outcome
    reasons: tuple[Reason, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    approval_id: str = ""
    decision_id: str = ""
    error: VigilError | None = None
    response: AuthorizeResponse | None = None

    @property
    def allowed(self) -> bool:
        """True only when the action may proceed now."""
        return self.outcome == Outcome.ALLOW

    @property
    def requires_approval(self) -> bool:
        """True when the action may proceed once a reviewer approves ``approval_id``."""
        return self.outcome == Outcome.REQUIRE_APPROVAL

    @property
    def denied(self) -> bool:
        """True when the action must not proceed (also for an unknown or missing outcome)."""
        return not (self.allowed or self.requires_approval)

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """The reasons' machine-readable codes, e.g. ``("offboarded_identity",)``."""
        return tuple(r.code for r in self.reasons)

    @classmethod
    def from_response(cls, response: AuthorizeResponse) -> Decision:
        """The decision Vigil answered."""
        return cls(
            outcome=response.decision,
            reasons=tuple(response.reasons),
            obligations=tuple(response.obligations),
            approval_id=response.approval.id if response.approval is not None else "",
            decision_id=response.decision_id,
            response=response,
        )

    @classmethod
    def from_error(cls, error: VigilError, *, fail_open: bool = False) -> Decision:
        """The decision to act on when Vigil gave none: a deny carrying the error.

        The reason code is ``vigil_no_answer`` (as in the Go and TypeScript clients) when
        Vigil could not answer at all (``error.unavailable``) and ``vigil_refused`` when it
        refused the request (invalid, unauthenticated, an error while deciding, ...). With
        ``fail_open``, the first case is an allow instead (reason ``vigil_no_answer_fail_open``);
        a refusal is always a deny.
        """
        if not error.unavailable:
            reason = Reason(code=REFUSED_REASON, message=f"Vigil refused the request ({error})")
            return cls(outcome=Outcome.DENY, reasons=(reason,), error=error)
        if fail_open:
            message = f"Vigil gave no answer ({error}); failing open"
            return cls(
                Outcome.ALLOW, (Reason(code=FAIL_OPEN_REASON, message=message),), error=error
            )
        message = f"Vigil gave no answer ({error}); failing closed"
        return cls(Outcome.DENY, (Reason(code=UNAVAILABLE_REASON, message=message),), error=error)
