package vigil.authz_test

import data.vigil.authz
import rego.v1

base := {
	"caller": {"id": "anonymous", "method": "none", "roles": []},
	"principal": {"id": "alice@example.com", "kind": "user", "groups": [], "attributes": {}},
	"action": "secret.read",
	"resource": {"kind": "secret", "id": "staging/db-password", "attributes": {"environment": "staging"}},
	"secrets": [{"name": "DB_PASSWORD", "store": "vault", "labels": {}}],
	"contents": [],
	"context": {},
	"time": {"unix_ns": 0, "rfc3339": "1970-01-01T00:00:00Z"},
}

agent_command(cmd, env) := object.union(base, {
	"principal": {"id": "agent:deploy-bot", "kind": "agent", "groups": [], "attributes": {}},
	"action": "tool.call",
	"resource": {"kind": "k8s-cluster", "id": "main", "attributes": {"environment": env}},
	"contents": [{"kind": "command", "name": "", "text": cmd}],
})

test_ordinary_read_is_allowed if {
	d := authz.decision with input as base
	d.decision == "allow"
	d.reasons[0].code == "allowed"
}

test_offboarded_ci_job_is_denied if {
	inp := object.union(base, {"principal": {
		"id": "repo:acme/legacy-billing:ref:refs/heads/main",
		"kind": "ci_job", "groups": [], "attributes": {},
	}})
	d := authz.decision with input as inp
	d.decision == "deny"
	d.reasons[0].code == "offboarded_identity"
}

test_unknown_action_is_denied if {
	d := authz.decision with input as object.union(base, {"action": "secret.exfiltrate"})
	d.decision == "deny"
	d.reasons[0].code == "unknown_action"
}

test_deny_wins_over_approval if {
	inp := object.union(agent_command("rm -rf /var/lib/db", "production"), {"action": "nope"})
	d := authz.decision with input as inp
	d.decision == "deny"
}

test_destructive_agent_command_in_production_needs_approval if {
	every cmd in ["rm -rf /", "terraform destroy -auto-approve", "kubectl delete namespace payments", "aws s3 rb s3://prod-logs --force"] {
		d := authz.decision with input as agent_command(cmd, "production")
		d.decision == "require_approval"
		d.reasons[0].code == "destructive_production_command"
		d.approval.rules[0].group == "sre-oncall"
	}
}

test_destructive_sql_in_production_needs_approval if {
	inp := object.union(agent_command("", "production"), {"contents": [{"kind": "sql", "name": "", "text": "DROP TABLE customers;"}]})
	d := authz.decision with input as inp
	d.decision == "require_approval"
}

test_destructive_command_outside_production_is_allowed if {
	d := authz.decision with input as agent_command("rm -rf /tmp/build", "staging")
	d.decision == "allow"
}

test_read_only_command_in_production_is_allowed if {
	d := authz.decision with input as agent_command("kubectl get pods -n payments", "production")
	d.decision == "allow"
	{"type": "record", "session": true} in d.obligations
}

test_llm_prompt_carries_redact_obligation if {
	inp := object.union(base, {"action": "llm.complete", "resource": {"kind": "llm", "id": "openai:gpt-4o", "attributes": {}}})
	d := authz.decision with input as inp
	d.decision == "allow"
	{"type": "redact", "profile": "default", "kinds": ["prompt"]} in d.obligations
}
