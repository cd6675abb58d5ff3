"""What ``VigilClient.redact`` answers."""

from __future__ import annotations

from typing import NamedTuple

from vigil.v1.common_pb import Finding


class Redaction(NamedTuple):
    """Masked text and what was found in it; unpacks as ``text, findings = client.redact(...)``.

    Attributes:
        text: The content with secrets and personal data masked by Vigil's redact plan.
        findings: ``vigil.v1.Finding`` messages: detector, location, action and a keyed
            fingerprint, never the matched value.
    """

    text: str
    findings: tuple[Finding, ...]
