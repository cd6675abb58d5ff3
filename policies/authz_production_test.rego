# Production: a human principal, a trusted CI job, or an approved grant; agents running
# destructive commands need approval.
package vigil.authz_test

import data.vigil.authz
import rego.v1

valid_grant := {
	"id": "apr-7",
	"state": "approved",
	"approvers": [{"id": "bob@example.com", "group": "sre-oncall"}],
	"expires_at_ns": now_ns + 60000000000,
}

prod_read(principal) := with_input({"principal": principal, "resource": {"kind": "secret", "id": "prod/db", "attributes": {"environment": "production"}}})

service := {"id": "svc:billing", "kind": "service", "groups": [], "attributes": {}}

test_user_acts_on_production_without_approval if {
	d := authz.decision with input as prod_read(base.principal)
	d.decision == "allow"
}

test_agent_on_production_without_a_grant_needs_approval if {
	d := authz.decision with input as prod_read(agent)
	d.decision == "require_approval"
	codes(d) == ["production_requires_human"]
	d.reasons[0].message == "agent agent:deploy-bot may act on production secret prod/db only with a human's approval"
	d.approval == data.vigil.approval.production_access
}

test_service_and_unspecified_principals_on_production_need_approval if {
	every p in [service, object.union(service, {"kind": "unspecified"})] {
		d := authz.decision with input as prod_read(p)
		codes(d) == ["production_requires_human"]
	}
}

test_agent_outside_production_needs_no_approval if {
	d := authz.decision with input as with_input({"principal": agent})
	d.decision == "allow"
}

test_approved_grant_lets_an_agent_act_on_production if {
	inp := object.union(prod_read(agent), {"grant": valid_grant})
	d := authz.decision with input as inp with time.now_ns as now_ns
	d.decision == "allow"
	codes(d) == ["allowed", "approved"]
}

test_approved_grant_covers_a_destructive_command if {
	inp := object.union(destructive_agent_command, {"grant": valid_grant})
	d := authz.decision with input as inp with time.now_ns as now_ns
	d.decision == "allow"
	{"type": "record", "session": true} in d.obligations
}

test_expired_grant_does_not_count if {
	inp := object.union(prod_read(agent), {"grant": valid_grant})
	d := authz.decision with input as inp with time.now_ns as valid_grant.expires_at_ns
	d.decision == "require_approval"
	codes(d) == ["approval_grant_unusable", "production_requires_human"]
	d.reasons[0].message == "approval grant apr-7 has expired"
}

test_grant_expiry_uses_vigils_clock_not_input_time if {
	# input.time says the grant is still fresh; time.now_ns (Vigil's clock) says it is not.
	inp := object.union(prod_read(agent), {"grant": valid_grant, "time": {"unix_ms": 0, "rfc3339": "1970-01-01T00:00:00Z"}})
	d := authz.decision with input as inp with time.now_ns as valid_grant.expires_at_ns + 1
	d.decision == "require_approval"
}

test_pending_denied_and_self_approved_grants_do_not_count if {
	every case in [
		{"grant": object.union(valid_grant, {"state": "pending"}), "why": "approval grant apr-7 is pending, not approved"},
		{"grant": object.union(valid_grant, {"state": "denied"}), "why": "approval grant apr-7 is denied, not approved"},
		{"grant": object.union(valid_grant, {"approvers": []}), "why": "approval grant apr-7 names no approver"},
		{"grant": object.union(valid_grant, {"approvers": ["agent:deploy-bot"]}), "why": "approval grant apr-7 was approved by the requester itself"},
		{"grant": object.remove(valid_grant, ["expires_at_ns"]), "why": "approval grant apr-7 has no expiry time"},
	] {
		d := authz.decision with input as object.union(prod_read(agent), {"grant": case.grant}) with time.now_ns as now_ns
		d.decision == "require_approval"
		d.reasons[0] == {"code": "approval_grant_unusable", "message": case.why}
	}
}

test_unneeded_grant_adds_no_reason if {
	d := authz.decision with input as object.union(base, {"grant": valid_grant}) with time.now_ns as now_ns
	codes(d) == ["allowed"]
}

test_ci_job_on_its_protected_branch_acts_on_production if {
	d := authz.decision with input as prod_read(ci_job("acme/api", "refs/heads/main"))
	d.decision == "allow"
}

test_ci_job_off_its_protected_branch_needs_approval_for_production if {
	d := authz.decision with input as prod_read(ci_job("acme/api", "refs/heads/feature/x"))
	codes(d) == ["production_requires_human"]
	d.reasons[0].message == "ci job repo:acme/api:ref:refs/heads/feature/x may act on production secret prod/db only with a human's approval"
}

test_ci_job_needs_approval_for_another_repositorys_production_resource if {
	inp := object.union(prod_read(ci_job("acme/api", "refs/heads/main")), {"resource": {"attributes": {"repository": "acme/payments"}}})
	d := authz.decision with input as inp
	codes(d) == ["production_requires_human"]
}

test_ci_job_deploy_on_wrong_branch_is_a_deny_not_an_approval if {
	d := authz.decision with input as ci_deploy("acme/api", "refs/heads/feature/x", "acme/api")
	d.decision == "deny"
	not d.approval
}

test_destructive_agent_commands_in_production_need_sre_approval if {
	every cmd in [
		"rm -rf /",
		"sudo rm -rf /*",
		"terraform destroy -auto-approve",
		"terraform apply -destroy",
		"kubectl delete namespace payments",
		"aws s3 rb s3://prod-logs --force",
		"aws s3 rm s3://prod-logs --recursive",
		"gsutil rm -r gs://prod-logs",
		"DROP TABLE customers;",
	] {
		d := authz.decision with input as agent_command(cmd, "production")
		d.decision == "require_approval"
		codes(d) == ["destructive_production_command"]
		d.approval == {"rules": [{"group": "sre-oncall", "required": 1}], "ttl_seconds": 900}
	}
}

test_destructive_sql_content_in_production_needs_approval if {
	inp := object.union(agent_command("", "production"), {"contents": [{"kind": "sql", "name": "", "text": "DROP TABLE customers;"}]})
	d := authz.decision with input as inp
	codes(d) == ["destructive_production_command"]
}

test_destructive_json_tool_call_in_production_needs_approval if {
	call := {"kind": "tool_call", "name": "run_sql", "json": {"name": "run_sql", "arguments": {"query": "DROP TABLE users"}}}
	d := authz.decision with input as object.union(agent_command("", "production"), {"contents": [call]})
	codes(d) == ["destructive_production_command"]
}

test_read_only_agent_command_in_production_still_needs_a_human if {
	every cmd in ["kubectl get pods -n payments", "SELECT * FROM dropped_tables", "aws s3 ls s3://prod-logs"] {
		d := authz.decision with input as agent_command(cmd, "production")
		codes(d) == ["production_requires_human"]
	}
}

test_read_only_agent_command_in_production_with_a_grant_is_allowed if {
	inp := object.union(agent_command("kubectl get pods -n payments", "production"), {"grant": valid_grant})
	d := authz.decision with input as inp with time.now_ns as now_ns
	d.decision == "allow"
	{"type": "record", "session": true} in d.obligations
}

test_destructive_command_outside_production_is_allowed if {
	every cmd in ["rm -rf /", "terraform destroy", "DROP TABLE customers"] {
		d := authz.decision with input as agent_command(cmd, "staging")
		d.decision == "allow"
	}
}

test_destructive_command_from_a_user_in_production_is_allowed if {
	inp := object.union(agent_command("terraform destroy", "production"), {"principal": base.principal})
	d := authz.decision with input as inp
	d.decision == "allow"
}

test_commands_in_prompts_are_not_commands if {
	# Talking about DROP TABLE is not running it.
	inp := object.union(agent_command("", "production"), {"contents": [{"kind": "prompt", "name": "", "text": "why would DROP TABLE users be bad?"}]})
	d := authz.decision with input as inp
	codes(d) == ["production_requires_human"]
}
