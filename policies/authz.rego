# Vigil's default authorization policy. Entrypoint: vigil/authz/decision.
#
# Outcomes, first match wins:
#   deny              an offboarded identity, or an action Vigil does not know;
#   require_approval  an agent running a destructive command against production;
#   allow             everything else, with obligations (redact prompts, record agent sessions).
package vigil.authz

import data.vigil.lib.commands
import rego.v1

production if input.resource.attributes.environment == "production"

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

approval_reasons contains {
	"code": "destructive_production_command",
	"message": "an agent asked to run a destructive command against production",
} if {
	input.principal.kind == "agent"
	production
	commands.destructive(input.contents)
}

obligations contains {"type": "redact", "profile": "default", "kinds": ["prompt"]} if {
	input.action == "llm.complete"
}

obligations contains {"type": "record", "session": true} if {
	input.principal.kind == "agent"
}

allow_reason := {"code": "allowed", "message": sprintf("%s on %s %s is allowed", [input.action, input.resource.kind, input.resource.id])}

decision := {
	"decision": "deny",
	"reasons": sort_reasons(deny_reasons),
} if {
	count(deny_reasons) > 0
} else := {
	"decision": "require_approval",
	"reasons": sort_reasons(approval_reasons),
	"approval": data.vigil.approval.destructive_production,
	"obligations": [o | some o in obligations],
} if {
	count(approval_reasons) > 0
} else := {
	"decision": "allow",
	"reasons": [allow_reason],
	"obligations": [o | some o in obligations],
	"cache_ttl_seconds": 0,
}

sort_reasons(rs) := [r | some code in sort({c | some x in rs; c := x.code}); some r in rs; r.code == code]
