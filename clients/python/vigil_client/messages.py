"""Builders for the vigil.v1 messages the helper sends, from plain Python values.

The generated classes (``vigil.v1.common_pb``) work too; these only save the boilerplate of
enums, ``Struct`` attributes and content oneofs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from protobuf import Enum, Oneof
from protobuf.wkt import Struct
from vigil.v1.common_pb import (
    Content,
    ContentKind,
    Principal,
    PrincipalKind,
    RegisteredSecret,
    Resource,
    SecretRef,
)

E = TypeVar("E", bound=Enum)


def enum_value(enum: type[E], value: E | str) -> E:
    """Returns the member of a generated enum named by ``value``.

    Accepts the member itself or its name in any case, with ``-`` or ``_``, with or without
    the proto prefix: ``"ci-job"``, ``"CI_JOB"`` and ``"PRINCIPAL_KIND_CI_JOB"`` all name
    ``PrincipalKind.CI_JOB``.

    Raises:
        ValueError: no member has that name.
    """
    if isinstance(value, enum):
        return value
    name = str(value).strip().upper().replace("-", "_")
    for v in enum.desc().values:
        if name in (v.name, v.local_name):
            return enum[v.local_name]
    allowed = ", ".join(m.name.lower() for m in enum if m.value != 0)
    msg = f"unknown {enum.__name__} {value!r}; use one of: {allowed}"
    raise ValueError(msg)


def struct(values: Mapping[str, Any] | Struct | None) -> Struct | None:
    """Converts a JSON-like mapping to a ``google.protobuf.Struct`` (``None`` stays ``None``)."""
    if values is None or isinstance(values, Struct):
        return values
    return Struct.from_python(dict(values))


def principal(
    id: str,  # noqa: A002 - the proto field's name
    kind: PrincipalKind | str,
    *,
    groups: Iterable[str] = (),
    attributes: Mapping[str, Any] | None = None,
) -> Principal:
    """The identity an action is taken for, e.g. ``principal("alice@example.com", "user")``.

    Args:
        id: Stable identifier, e.g. ``"repo:acme/api:ref:refs/heads/main"``.
        kind: ``user``, ``service``, ``ci_job`` or ``agent`` (or a ``PrincipalKind``).
        groups: Group or team memberships. Default: none.
        attributes: Free-form attributes for the policy. Default: none.
    """
    return Principal(
        id=id,
        kind=enum_value(PrincipalKind, kind),
        groups=list(groups),
        attributes=struct(attributes),
    )


def resource(ref: str, *, attributes: Mapping[str, Any] | None = None) -> Resource:
    """The target of an action, from ``"kind:id"`` like the CLI's ``--resource``.

    ``"secret:prod/deploy-key"`` is kind ``secret``, id ``prod/deploy-key``; only the first
    colon separates, so ids may hold colons. A ref without a colon is a kind with no id.

    Args:
        ref: ``"kind:id"`` or ``"kind"``.
        attributes: Free-form attributes, e.g. ``{"environment": "production"}``. Default: none.
    """
    kind, _, id_ = ref.partition(":")
    return Resource(kind=kind, id=id_, attributes=struct(attributes))


def secret(name: str, *, store: str = "", labels: Mapping[str, str] | None = None) -> SecretRef:
    """A reference (name only, never the value) to a secret the request would use.

    Args:
        name: The secret's name, e.g. ``"DEPLOY_KEY"``.
        store: Where it lives, e.g. ``"vault"`` or ``"github-actions"``. Default: empty.
        labels: Labels such as ``{"environment": "production"}``. Default: none.
    """
    return SecretRef(name=name, store=store, labels=dict(labels or {}))


def content(
    text: str, *, kind: ContentKind | str = ContentKind.UNSPECIFIED, name: str = ""
) -> Content:
    """Text content to inspect, redact or record.

    Args:
        text: The UTF-8 text.
        kind: ``prompt``, ``completion``, ``command``, ``sql``, ``http_body``, ``log``,
            ``trace``, ``tool_call`` or ``tool_result``. Default: unspecified.
        name: Optional label, e.g. ``"stdout"``. Default: empty.
    """
    return Content(kind=enum_value(ContentKind, kind), body=Oneof("text", text), name=name)


def registered_secrets(values: Mapping[str, str] | None) -> list[RegisteredSecret]:
    """Values that must never pass, keyed by the name findings will show for them."""
    return [RegisteredSecret(name=n, value=Oneof("text", v)) for n, v in (values or {}).items()]
