"""The one exception the helper raises when a call to Vigil fails."""

from __future__ import annotations

from connectrpc.code import Code

# Codes that mean Vigil could not give an answer (down, overloaded, too slow), as opposed to
# an answer that refuses the request (bad input, unauthenticated caller, an internal error
# while deciding, ...). Only these may be turned into an allow by a client that opted into
# fail-open; the Go and TypeScript clients draw the same line.
_UNAVAILABLE_CODES = frozenset({Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED})


class VigilError(Exception):
    """A call to Vigil failed: the server was unreachable, timed out, or refused the request.

    The message never holds a secret: it is Vigil's own error message (which never echoes
    content) or the transport's (which names the URL). The original exception is the
    ``__cause__``.

    Attributes:
        code: The Connect/gRPC status code, or ``None`` when the failure was not an RPC
            status (for example an unexpected exception while decoding the answer).
    """

    def __init__(self, message: str, *, code: Code | None = None) -> None:
        """Creates the error; raise it ``from`` the exception that caused it."""
        super().__init__(message)
        self.code = code

    @property
    def unavailable(self) -> bool:
        """True when Vigil gave no answer at all (unreachable, timed out, or a transport failure).

        A fail-open client allows only in this case; a refusal such as ``INVALID_ARGUMENT``
        or ``UNAUTHENTICATED`` is always a deny.
        """
        return self.code is None or self.code in _UNAVAILABLE_CODES

    def __str__(self) -> str:
        """The message prefixed with the status code, e.g. ``unavailable: connection refused``."""
        message = super().__str__()
        return f"{self.code.value}: {message}" if self.code is not None else message
