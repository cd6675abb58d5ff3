"""Python client for Vigil, the policy decision service: authorize, redact and record.

``VigilClient`` wraps the generated Connect client (``vigil.v1.policy_service_connect``,
generated into ``gen/python``) and fails closed: when Vigil cannot be reached or errors,
``authorize`` answers a deny carrying the error, unless the client was made with
``fail_open=True``. The builders (``principal``, ``resource``, ``secret``, ``content``) turn
plain values into the ``vigil.v1`` messages.
"""

from vigil.v1.common_pb import ContentKind, PrincipalKind
from vigil.v1.common_pb import Decision as Outcome
from vigil.v1.policy_service_pb import RecordEventKind

from .client import VigilClient
from .decision import FAIL_OPEN_REASON, REFUSED_REASON, UNAVAILABLE_REASON, Decision
from .errors import VigilError
from .messages import content, principal, resource, secret
from .redaction import Redaction

__all__ = [
    "FAIL_OPEN_REASON",
    "REFUSED_REASON",
    "UNAVAILABLE_REASON",
    "ContentKind",
    "Decision",
    "Outcome",
    "PrincipalKind",
    "RecordEventKind",
    "Redaction",
    "VigilClient",
    "VigilError",
    "content",
    "principal",
    "resource",
    "secret",
]
