# Shared fixtures for the vigil/authz/decision tests (authz_*_test.rego), and the decisions for
# the canonical requests in test/support/requests.ts, which end-to-end tests and the README
# compare byte for byte.
package vigil.authz_test

import data.vigil.authz
import rego.v1

# 2026-03-01T12:00:00Z
now_ns := 1772366400000000000

# The input document as Vigil shapes it (server/src/policy/policy-input.ts).
base := {
	"caller": {"id": "anonymous", "method": "none", "roles": [], "peer": ""},
	"principal": {"id": "alice@example.com", "kind": "user", "groups": ["dev"], "attributes": {}},
	"action": "secret.read",
	"resource": {"kind": "secret", "id": "staging/db-password", "attributes": {"environment": "staging"}},
	"secrets": [{"name": "DB_PASSWORD", "store": "vault", "labels": {}}],
	"contents": [],
	"context": {},
	"approval_id": "",
	"session_id": "",
	"request_id": "",
	"time": {"unix_ms": 1772366400000, "rfc3339": "2026-03-01T12:00:00.000Z"},
}

with_input(patch) := object.union(base, patch)

agent := {"id": "agent:deploy-bot", "kind": "agent", "groups": ["agents"], "attributes": {}}

cluster(env) := {"kind": "k8s-cluster", "id": "main", "attributes": {"environment": env}}

agent_command(cmd, env) := with_input({
	"principal": agent,
	"action": "tool.call",
	"resource": cluster(env),
	"secrets": [],
	"contents": [{"kind": "command", "name": "", "text": cmd}],
	"session_id": "run-42",
})

codes(d) := [r.code | some r in d.reasons]

# --- the canonical requests -----------------------------------------------------------------

offboarded_ci_job := with_input({
	"principal": {"id": "repo:acme/legacy-billing:ref:refs/heads/main", "kind": "ci_job", "groups": [], "attributes": {}},
	"resource": {"kind": "secret", "id": "prod/deploy-key", "attributes": {"environment": "production"}},
	"secrets": [{"name": "DEPLOY_KEY", "store": "github-actions", "labels": {}}],
})

destructive_agent_command := agent_command("kubectl delete namespace payments", "production")

ordinary_read := base

test_canonical_offboarded_ci_job_is_denied_exactly_as_documented if {
	d := authz.decision with input as offboarded_ci_job
	d == {
		"decision": "deny",
		"reasons": [{
			"code": "offboarded_identity",
			"message": "identity repo:acme/legacy-billing:ref:refs/heads/main is offboarded and may not use secrets",
		}],
	}
}

test_canonical_destructive_agent_command_needs_approval_exactly_as_documented if {
	d := authz.decision with input as destructive_agent_command
	d == {
		"decision": "require_approval",
		"reasons": [{
			"code": "destructive_production_command",
			"message": "an agent asked to run a destructive command against production",
		}],
		"approval": {"rules": [{"group": "sre-oncall", "required": 1}], "ttl_seconds": 900},
		"obligations": [{"type": "record", "session": true}],
	}
}

test_canonical_ordinary_read_is_allowed_exactly_as_documented if {
	d := authz.decision with input as ordinary_read
	d == {
		"decision": "allow",
		"reasons": [{"code": "allowed", "message": "secret.read on secret staging/db-password is allowed"}],
		"obligations": [],
		"cache_ttl_seconds": 0,
	}
}

# --- general rules --------------------------------------------------------------------------

test_unknown_action_is_denied if {
	d := authz.decision with input as with_input({"action": "secret.exfiltrate"})
	d.reasons == [{"code": "unknown_action", "message": "action \"secret.exfiltrate\" is not one the policy knows"}]
}

test_every_known_action_passes_the_action_check if {
	every action in data.vigil.known_actions {
		d := authz.decision with input as with_input({"action": action})
		not "unknown_action" in codes(d)
	}
}

test_deny_wins_over_approval if {
	inp := object.union(agent_command("rm -rf /", "production"), {"action": "nope"})
	d := authz.decision with input as inp
	d.decision == "deny"
	codes(d) == ["unknown_action"]
	not d.approval
}

test_deny_lists_every_reason_sorted_by_code if {
	inp := object.union(offboarded_ci_job, {"action": "nope"})
	d := authz.decision with input as inp
	codes(d) == ["offboarded_identity", "unknown_action"]
}

test_decision_is_a_deny_when_data_is_missing_a_key if {
	d := authz.decision with input as destructive_agent_command with data.vigil.approval as {}
	d.decision == "deny"
	codes(d) == ["policy_incomplete"]
}

test_decision_is_defined_for_an_empty_input if {
	d := authz.decision with input as {}
	d.decision in {"allow", "deny", "require_approval"}
}
