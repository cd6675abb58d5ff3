# Vigil's default authorization policy. Entrypoint: vigil/authz/decision.
#
# Outcomes, first match wins:
#   deny              an offboarded identity, an action Vigil does not know, a CI job reaching
#                     for a deploy secret it may not use, or a prompt over the size limit;
#   require_approval  a non-human principal acting on production, most pointedly an agent
#                     running a destructive command there, unless an approved grant covers it;
#   allow             everything else, with obligations (redact LLM and telemetry content,
#                     record agent sessions).
#
# An approval grant (`input.grant`) clears the approval requirements; it never clears a deny.
package vigil.authz

import data.vigil.lib.ci
import data.vigil.lib.commands
import data.vigil.lib.contents
import data.vigil.lib.grants
import rego.v1

production if input.resource.attributes.environment in data.vigil.production_environments

human if input.principal.kind == "user"

# --- deny ---------------------------------------------------------------------------------

deny_reasons contains {
	"code": "offboarded_identity",
	"message": sprintf("identity %s is offboarded and may not use secrets", [input.principal.id]),
} if {
	input.principal.id in data.vigil.offboarded_identities
}

deny_reasons contains {
	"code": "unknown_action",
	"message": sprintf("action \"%s\" is not one the policy knows", [input.action]),
} if {
	not input.action in data.vigil.known_actions
}

deny_reasons contains r if some r in ci.deny_reasons

deny_reasons contains {
	"code": "prompt_too_large",
	"message": sprintf("the prompt is %d bytes; the limit is %d", [size, contents.max_prompt_bytes]),
} if {
	size := contents.prompt_bytes(input.contents)
	size > contents.max_prompt_bytes
}

# --- require approval ---------------------------------------------------------------------

destructive_production_command if {
	input.principal.kind == "agent"
	production
	commands.destructive(input.contents)
}

approval_reasons contains {
	"code": "destructive_production_command",
	"message": "an agent asked to run a destructive command against production",
} if {
	destructive_production_command
}

# Production needs a human: a user, or a human's approval. A CI job running from a protected
# branch of its own repository is the exception: branch protection already made a human review
# and merge the code it runs, so deploying from main needs no second approval (a CI job outside
# that path gets this reason, or a ci_* deny for deploy secrets). A destructive command is the
# same requirement, stated more precisely, so this reason is left out when that one applies.
approval_reasons contains {
	"code": "production_requires_human",
	"message": sprintf("%s %s may act on production %s %s only with a human's approval", [kind_name, input.principal.id, input.resource.kind, input.resource.id]),
} if {
	production
	not human
	not ci.trusted_job
	not destructive_production_command
}

kind_name := replace(input.principal.kind, "_", " ")

approval := data.vigil.approval.destructive_production if {
	destructive_production_command
} else := data.vigil.approval.production_access

granted if grants.valid(input.grant, input.principal.id)

grant_reasons contains {
	"code": "approval_grant_unusable",
	"message": sprintf("approval grant %s %s", [object.get(input.grant, "id", ""), grants.problem(input.grant, input.principal.id)]),
} if {
	count(approval_reasons) > 0
	input.grant
	not granted
}

grant_reasons contains {
	"code": "approved",
	"message": sprintf("approval grant %s covers this request", [input.grant.id]),
} if {
	granted
	count(approval_reasons) > 0
}

# --- obligations --------------------------------------------------------------------------

# Prompts are masked before they reach the model and completions before they reach the caller;
# vigil/redact/plan says how, from each content kind's destination.
obligations contains {"type": "redact", "profile": "default", "kinds": ["prompt", "completion"]} if {
	input.action == "llm.complete"
}

# Logs and traces (reasoning included) are masked before they leave for an observability sink.
obligations contains {"type": "redact", "profile": "default", "kinds": ["log", "trace"]} if {
	input.action == "telemetry.export"
}

obligations contains {"type": "record", "session": true} if {
	input.principal.kind == "agent"
}

# --- decision -----------------------------------------------------------------------------

allow_reason := {"code": "allowed", "message": sprintf("%s on %s %s is allowed", [input.action, input.resource.kind, input.resource.id])}

needs_approval if {
	count(approval_reasons) > 0
	not granted
}

# Undefined only if the policy itself is broken (e.g. data.json lost a key): deny, say why.
default decision := {
	"decision": "deny",
	"reasons": [{"code": "policy_incomplete", "message": "the policy could not reach a decision"}],
}

# Each branch states its own condition in full: when a branch's value cannot be built, the
# next branch must not take over (a missing approval spec must never turn into an allow).
decision := {
	"decision": "deny",
	"reasons": sort_reasons(deny_reasons),
} if {
	count(deny_reasons) > 0
} else := {
	"decision": "require_approval",
	"reasons": sort_reasons(approval_reasons | grant_reasons),
	"approval": approval,
	"obligations": [o | some o in obligations],
} if {
	needs_approval
} else := {
	"decision": "allow",
	"reasons": array.concat([allow_reason], sort_reasons(grant_reasons)),
	"obligations": [o | some o in obligations],
	"cache_ttl_seconds": 0,
} if {
	not needs_approval
}

sort_reasons(rs) := [r | some code in sort({c | some x in rs; c := x.code}); some r in rs; r.code == code]
