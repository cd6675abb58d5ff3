"""Smoke test of the Python client against a real Vigil serving the bundled policy.

    VIGIL_SERVER=http://127.0.0.1:8444 .tools/python/bin/python clients/python/smoke.py

Runs five checks (deny, allow, redact, record, fail closed), prints one line per check and a
closing ``smoke: N passed, N failed``, and exits 1 if any check failed. It records one event
in session ``$VIGIL_SMOKE_SESSION`` (default: a fresh ``python-smoke-<uuid>``) whose content
holds a freshly made, fake GitHub token; the token itself is never printed.
"""

from __future__ import annotations

import os
import secrets
import socket
import string
import sys
import uuid
from collections.abc import Callable

from vigil_client import (
    UNAVAILABLE_REASON,
    VigilClient,
    principal,
    resource,
    secret,
)


class Mismatch(Exception):
    """A check's answer was not the expected one."""


def expect(condition: bool, detail: str) -> None:
    """Raises ``Mismatch(detail)`` unless ``condition`` holds."""
    if not condition:
        raise Mismatch(detail)


def fake_github_token() -> str:
    """A random token in GitHub's classic PAT shape (``ghp_`` + 36 alphanumerics)."""
    alphabet = string.ascii_letters + string.digits
    return "ghp_" + "".join(secrets.choice(alphabet) for _ in range(36))


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def checks(vigil: VigilClient, session_id: str, token: str) -> list[tuple[str, Callable[[], str]]]:
    """The checks, each a name and a function that returns a detail or raises."""
    ci_job = principal("repo:acme/legacy-billing:ref:refs/heads/main", "ci_job")

    def offboarded_ci_job_is_denied() -> str:
        decision = vigil.authorize(
            ci_job,
            "secret.read",
            resource("secret:prod/deploy-key", attributes={"environment": "production"}),
            secrets=[secret("DEPLOY_KEY", store="github-actions")],
        )
        expect(decision.error is None, f"call failed: {decision.error}")
        expect(decision.denied, f"expected deny, got {decision.outcome.name}")
        expect("offboarded_identity" in decision.reason_codes, f"reasons {decision.reason_codes}")
        return f"deny {decision.reason_codes} (decision {decision.decision_id})"

    def ordinary_read_is_allowed() -> str:
        decision = vigil.authorize(
            principal("alice@example.com", "user", groups=["dev"]),
            "secret.read",
            resource("secret:staging/db-password", attributes={"environment": "staging"}),
        )
        expect(decision.error is None, f"call failed: {decision.error}")
        expect(
            decision.allowed, f"expected allow, got {decision.outcome.name} {decision.reason_codes}"
        )
        return f"allow (decision {decision.decision_id})"

    def planted_token_is_redacted() -> str:
        text, findings = vigil.redact(f"deploy with {token} please", kind="prompt")
        expect(token not in text, "the token is still in the redacted text")
        expect(len(findings) > 0, "no findings")
        return f"{len(findings)} finding(s) {[f.detector_id for f in findings]}: {text!r}"

    def event_is_recorded() -> str:
        record_id = vigil.record(
            "command",
            principal=ci_job,
            session_id=session_id,
            content=f"curl -H 'Authorization: token {token}' https://api.github.com/user",
            content_kind="command",
        )
        expect(bool(record_id), "no record id")
        return f"record {record_id} in session {session_id}"

    def unreachable_vigil_fails_closed() -> str:
        with VigilClient(f"http://127.0.0.1:{closed_port()}", timeout=2.0) as down:
            decision = down.authorize(ci_job, "secret.read", "secret:prod/deploy-key")
        expect(decision.denied, f"expected deny, got {decision.outcome.name}")
        expect(decision.error is not None, "no error attached")
        expect(UNAVAILABLE_REASON in decision.reason_codes, f"reasons {decision.reason_codes}")
        return f"deny {decision.reason_codes}, error: {decision.error}"

    return [
        ("deny: offboarded CI job reading prod/deploy-key", offboarded_ci_job_is_denied),
        ("allow: alice reading staging/db-password", ordinary_read_is_allowed),
        ("redact: planted GitHub token", planted_token_is_redacted),
        ("record: command event", event_is_recorded),
        ("fail closed: client pointed at a closed port", unreachable_vigil_fails_closed),
    ]


def main() -> int:
    """Runs the checks against ``$VIGIL_SERVER``; 0 when all pass, 1 otherwise, 2 on bad usage."""
    server = os.environ.get("VIGIL_SERVER", "")
    if not server:
        print(
            "smoke: set VIGIL_SERVER to Vigil's address, e.g. http://127.0.0.1:8444",
            file=sys.stderr,
        )
        return 2
    session_id = os.environ.get("VIGIL_SMOKE_SESSION") or f"python-smoke-{uuid.uuid4()}"
    token = fake_github_token()
    passed = failed = 0
    with VigilClient(server, token=os.environ.get("VIGIL_TOKEN") or None) as vigil:
        for name, check in checks(vigil, session_id, token):
            try:
                line = f"ok   {name}: {check()}"
                passed += 1
            except Exception as error:  # a failing check must not stop the others
                line = f"FAIL {name}: {type(error).__name__}: {error}"
                failed += 1
            print(line.replace(token, "<token>"))
    print(f"smoke: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
