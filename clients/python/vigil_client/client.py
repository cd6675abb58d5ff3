"""``VigilClient``: authorize, redact and record over Connect, failing closed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from connectrpc.errors import ConnectError
from protobuf import Oneof
from protobuf.wkt import Struct
from vigil.v1.common_pb import Content, ContentKind, Principal, Resource, SecretRef
from vigil.v1.policy_service_connect import PolicyServiceClientSync
from vigil.v1.policy_service_pb import (
    AuthorizeRequest,
    RecordEvent,
    RecordEventKind,
    RecordRequest,
    RedactRequest,
)

from .decision import Decision
from .errors import VigilError
from .messages import content as make_content
from .messages import enum_value, registered_secrets, struct
from .messages import resource as make_resource
from .redaction import Redaction

Res = TypeVar("Res")


class VigilClient:
    """A synchronous client for Vigil's PolicyService with fail-closed defaults.

    ``authorize`` never raises for a failed call: it answers a deny carrying the error (or,
    with ``fail_open=True``, an allow when Vigil gave no answer at all). ``redact`` and
    ``record`` raise ``VigilError`` instead, so unmasked text is never handed back.

    Use it as a context manager, or call ``close()`` when done::

        with VigilClient("http://127.0.0.1:8444") as vigil:
            decision = vigil.authorize(principal("alice@example.com", "user"), "secret.read",
                                       "secret:staging/db-password")
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 5.0,
        fail_open: bool = False,
    ) -> None:
        """Creates a client; nothing is sent until the first call.

        Args:
            base_url: Vigil's address with scheme, e.g. ``"http://127.0.0.1:8444"``.
            token: API token sent as ``Authorization: Bearer <token>``. Default: none.
            timeout: Seconds each call may take before it counts as Vigil not answering.
                Default: 5.0.
            fail_open: Let ``authorize`` allow when Vigil gives no answer (unreachable,
                timed out, internal error). Default: ``False`` (deny).
        """
        if not base_url:
            msg = "base_url is required, e.g. http://127.0.0.1:8444"
            raise ValueError(msg)
        self.base_url = base_url.rstrip("/")
        self.fail_open = fail_open
        self._headers = {"authorization": f"Bearer {token}"} if token else {}
        #: The generated PolicyService client, for calls the helper does not wrap (streams).
        self.policy = PolicyServiceClientSync(
            self.base_url, timeout_ms=max(1, round(timeout * 1000))
        )

    def authorize(
        self,
        principal: Principal,
        action: str,
        resource: Resource | str,
        *,
        secrets: Iterable[SecretRef] = (),
        contents: Iterable[Content] = (),
        context: Mapping[str, Any] | Struct | None = None,
        approval_id: str = "",
        session_id: str = "",
        request_id: str = "",
    ) -> Decision:
        """Asks whether ``principal`` may do ``action`` on ``resource``; never raises on failure.

        Args:
            principal: Who the action is for (see ``vigil_client.principal``).
            action: What is attempted, e.g. ``"secret.read"`` or ``"tool.call"``.
            resource: The target, as a message or ``"kind:id"`` (e.g. ``"secret:prod/db"``).
            secrets: References (names only) to secrets the request would use. Default: none.
            contents: Content to inspect (see ``vigil_client.content``). Default: none.
            context: Free-form context for the policy. Default: none.
            approval_id: An approval to redeem for this exact action. Default: none.
            session_id: Groups related calls (an agent run, a CI job). Default: none.
            request_id: Caller correlation id, echoed into the audit record. Default: none.

        Returns:
            Vigil's decision; if the call failed, a deny with ``error`` set (or an allow with
            ``error`` set when ``fail_open`` and Vigil gave no answer).
        """
        request = AuthorizeRequest(
            principal=principal,
            action=action,
            resource=make_resource(resource) if isinstance(resource, str) else resource,
            secrets=list(secrets),
            contents=list(contents),
            context=struct(context),
            approval_id=approval_id,
            session_id=session_id,
            request_id=request_id,
        )
        return self.decide(request)

    def decide(self, request: AuthorizeRequest) -> Decision:
        """Like ``authorize``, for a request built by hand; fails closed the same way."""
        try:
            response = self._call(self.policy.authorize, request)
        except VigilError as error:
            return Decision.from_error(error, fail_open=self.fail_open)
        return Decision.from_response(response)

    def redact(
        self,
        text: str,
        *,
        kind: ContentKind | str = ContentKind.UNSPECIFIED,
        secrets: Mapping[str, str] | None = None,
        profile: str = "",
        principal: Principal | None = None,
        session_id: str = "",
    ) -> Redaction:
        """Masks secrets and personal data in ``text`` with Vigil's redact plan.

        Args:
            text: The text to mask.
            kind: What the text is: ``prompt``, ``command``, ``log``, ... Default: unspecified.
            secrets: Values that must never pass, by name (e.g. ``{"API_KEY": value}``);
                matched with their common encodings. Default: none.
            profile: Redact profile, e.g. from a redact obligation. Default: the plan's own.
            principal: Whose content it is, for the plan. Default: none.
            session_id: Groups related calls. Default: none.

        Returns:
            ``(masked_text, findings)``.

        Raises:
            VigilError: the call failed; no text is returned, masked or not.
        """
        request = RedactRequest(
            content=make_content(text, kind=kind),
            registered_secrets=registered_secrets(secrets),
            profile=profile,
            principal=principal,
            session_id=session_id,
        )
        response = self._call(self.policy.redact, request)
        body = response.content.body if response.content is not None else None
        if not (isinstance(body, Oneof) and body.field == "text"):
            msg = "Vigil's redact answer has no text content"
            raise VigilError(msg)
        return Redaction(text=body.value, findings=tuple(response.findings))

    def record(
        self,
        kind: RecordEventKind | str,
        *,
        principal: Principal,
        session_id: str = "",
        content: str | Content | None = None,
        content_kind: ContentKind | str = ContentKind.UNSPECIFIED,
        action: str = "",
        resource: Resource | str | None = None,
        decision_id: str = "",
        attributes: Mapping[str, Any] | None = None,
        secrets: Mapping[str, str] | None = None,
        request_id: str = "",
    ) -> str:
        """Appends an event to the audit trail; Vigil masks its content before storing it.

        Args:
            kind: ``request``, ``response``, ``command``, ``output`` or ``note``.
            principal: Who the event belongs to.
            session_id: The session it is part of. Default: none.
            content: The event's text (or a ``Content``). Default: none.
            content_kind: What a text ``content`` is (``command``, ``log``, ...). Default:
                unspecified.
            action: The action the event follows from. Default: none.
            resource: Its target, as a message or ``"kind:id"``. Default: none.
            decision_id: The Authorize decision the event follows from. Default: none.
            attributes: Free-form attributes. Default: none.
            secrets: Values to scrub from the content, by name. Default: none.
            request_id: Caller correlation id. Default: none.

        Returns:
            The id of the stored audit record (acknowledged only once durable).

        Raises:
            VigilError: the call failed; the event may not have been recorded.
        """
        if isinstance(content, str):
            content = make_content(content, kind=content_kind)
        event = RecordEvent(
            kind=enum_value(RecordEventKind, kind),
            session_id=session_id,
            principal=principal,
            action=action,
            resource=make_resource(resource) if isinstance(resource, str) else resource,
            content=content,
            decision_id=decision_id,
            attributes=struct(attributes),
            request_id=request_id,
        )
        request = RecordRequest(event=event, registered_secrets=registered_secrets(secrets))
        return self._call(self.policy.record, request).record_id

    def close(self) -> None:
        """Releases the client; it cannot be used afterwards."""
        self.policy.close()

    def __enter__(self) -> VigilClient:
        """Returns the client itself."""
        return self

    def __exit__(self, *_exc: object) -> None:
        """Closes the client."""
        self.close()

    def _call(self, method: Callable[..., Res], request: object) -> Res:
        try:
            return method(request, headers=self._headers)
        except ConnectError as error:
            raise VigilError(error.message, code=error.code) from error
        except Exception as error:
            # Anything else (a transport or decoding failure) is also "no answer".
            raise VigilError(f"{type(error).__name__}: {error}") from error
