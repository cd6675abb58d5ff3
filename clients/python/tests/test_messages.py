"""The builders turn plain values into vigil.v1 messages."""

import pytest
from protobuf import Oneof

from vigil_client import ContentKind, PrincipalKind, content, principal, resource, secret
from vigil_client.messages import enum_value


@pytest.mark.parametrize("name", ["ci_job", "ci-job", "CI_JOB", "PRINCIPAL_KIND_CI_JOB"])
def test_names_a_principal_kind_in_any_spelling(name: str) -> None:
    assert principal("repo:acme/api", name).kind == PrincipalKind.CI_JOB


def test_rejects_an_unknown_kind_listing_the_known_ones() -> None:
    with pytest.raises(
        ValueError, match="unknown PrincipalKind 'robot'; use one of: user, service"
    ):
        enum_value(PrincipalKind, "robot")


def test_keeps_groups_and_attributes_of_a_principal() -> None:
    p = principal("alice@example.com", PrincipalKind.USER, groups=["dev"], attributes={"team": "x"})
    assert (p.id, list(p.groups), p.attributes.to_python()) == (
        "alice@example.com",
        ["dev"],
        {"team": "x"},
    )


def test_splits_a_resource_ref_at_the_first_colon_only() -> None:
    r = resource("k8s-cluster:main:payments", attributes={"environment": "production"})
    assert (r.kind, r.id, r.attributes.to_python()) == (
        "k8s-cluster",
        "main:payments",
        {"environment": "production"},
    )
    assert (resource("llm").kind, resource("llm").id, resource("llm").attributes) == (
        "llm",
        "",
        None,
    )


def test_builds_secret_refs_and_text_content() -> None:
    s = secret("DEPLOY_KEY", store="github-actions", labels={"environment": "production"})
    assert (s.name, s.store, dict(s.labels)) == (
        "DEPLOY_KEY",
        "github-actions",
        {"environment": "production"},
    )
    c = content("ls -la", kind="command", name="stdin")
    assert (c.kind, c.body, c.name) == (ContentKind.COMMAND, Oneof("text", "ls -la"), "stdin")
