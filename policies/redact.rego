# Vigil's default redact plans. Entrypoint: vigil/redact/plan.
#
# A plan says how to mask one content item: which detectors run, which operator each finding
# gets (first match wins), which JSON fields are never scanned, and whether the content must be
# refused rather than masked. The plan is chosen by the content's destination, because who
# will read the content decides what may remain in it:
#
#   llm            prompts and tool results a model will read: registered values and secrets
#                  replaced, personal data partially masked; a private key bound for an external
#                  model is refused;
#   caller         completions returning to the person or program that asked: secrets replaced,
#                  personal data left alone (it is usually the caller's own);
#   observability  logs and traces, reasoning included: secrets replaced, personal data
#                  fingerprinted so the same value can be followed across records;
#   ci_log         CI output, often readable by everyone with the repository: everything replaced;
#   audit          audit records: every detector, secrets replaced, personal data fingerprinted;
#   anything else  every detector, every finding replaced.
#
# When the destination is empty, it follows from the target (the content kind): prompt and
# tool_result → llm, completion → caller, log and trace → observability.
package vigil.redact

import data.vigil.lib.redact.fingerprinted
import data.vigil.lib.redact.partially_masked
import data.vigil.lib.redact.replaced
import rego.v1

all_detectors := ["registered", "secret.*", "pii.*", "custom.*"]

# Every plan's operators end with replaced("*"): a finding of a detector no earlier operator
# names (a category added after the plan was written) is replaced, never left in place.

default_destinations := {
	"prompt": "llm",
	"tool_result": "llm",
	"completion": "caller",
	"log": "observability",
	"trace": "observability",
}

target := input.target if {
	is_string(input.target)
} else := "unspecified"

destination := input.destination if {
	is_string(input.destination)
	input.destination != ""
} else := default_destinations[target] if {
	default_destinations[target]
} else := ""

plans := {
	# A model provider keeps prompts (logs, abuse review, sometimes training), so nothing that
	# works as a credential may reach it. Personal data is masked partially, not replaced: the
	# model still sees that two cards differ and which one ends in 4242, which many tasks need.
	# SSNs are replaced outright: their last four digits are themselves used as a credential.
	"llm": {
		"detectors": all_detectors,
		"operators": [
			replaced("registered"),
			replaced("secret.*"),
			partially_masked("pii.card", 0, 4),
			partially_masked("pii.iban", 2, 4),
			partially_masked("pii.phone", 0, 2),
			partially_masked("pii.email", 1, 0),
			replaced("pii.ssn"),
			replaced("pii.*"),
			replaced("custom.*"),
			replaced("*"),
		],
		"exclude_fields": [],
	},
	# The caller sent the prompt and reads the answer: personal data in it is usually the
	# caller's own, and masking it would break the answer. A credential the model echoes or
	# invents is still replaced: callers paste answers into tickets and chats.
	"caller": {
		"detectors": ["registered", "secret.*", "custom.*"],
		"operators": [replaced("registered"), replaced("secret.*"), replaced("custom.*"), replaced("*")],
		"exclude_fields": [],
	},
	# Observability stores are widely readable and long-lived. A fingerprint (keyed HMAC) keeps
	# "the same email in 40 traces" answerable without the email. Trace and span ids are hex
	# strings a generic detector could take for a token; masking them would break correlation.
	"observability": {
		"detectors": all_detectors,
		"operators": [replaced("registered"), replaced("secret.*"), fingerprinted("pii.*"), replaced("custom.*"), replaced("*")],
		"exclude_fields": ["/trace_id", "/span_id", "/parent_span_id"],
	},
	# CI logs are often readable by every member of the organisation, or by anyone for a public
	# repository, and are copied into artifacts: nothing found there survives.
	"ci_log": {
		"detectors": all_detectors,
		"operators": [replaced("*")],
		"exclude_fields": [],
	},
	# The audit log is append-only and hash-chained: what goes in can never be taken out, so no
	# raw secret and no raw personal data may enter it. Fingerprints let an investigator ask
	# "which requests carried this card?" by fingerprinting the card with the same key.
	"audit": {
		"detectors": all_detectors,
		"operators": [replaced("registered"), replaced("secret.*"), fingerprinted("pii.*"), replaced("custom.*"), replaced("*")],
		"exclude_fields": [],
	},
}

# For a destination no plan names: run everything, replace everything.
strict := {"detectors": all_detectors, "operators": [replaced("*")], "exclude_fields": []}

plan_name := destination if {
	plans[destination]
} else := "strict"

selected := object.get(plans, plan_name, strict)

plan_reasons := {
	"llm": "%s bound for a model: registered values and secrets replaced, personal data partially masked",
	"caller": "%s returning to the caller: registered values and secrets replaced",
	"observability": "%s bound for observability: secrets replaced, personal data fingerprinted",
	"ci_log": "%s bound for a CI log: every finding replaced",
	"audit": "%s bound for the audit log: secrets replaced, personal data fingerprinted",
	"strict": "%s has no plan for its destination: every finding replaced",
}

plan_reason := {"code": sprintf("redact_%s", [plan_name]), "message": sprintf(plan_reasons[plan_name], [target])}

# --- refusing rather than masking ----------------------------------------------------------

# `input.findings` (optional): detector ids a first scan with this same plan found. Vigil may
# evaluate the plan again with them; a plan blocks only on what was found, and masks it when
# Vigil does not ask twice.
found(d) if {
	some f in object.get(input, "findings", [])
	glob.match(d, null, f)
}

external_model if not internal_model

model := id if {
	id := input.resource.id
	is_string(id)
	id != ""
} else := "unnamed"

internal_model if {
	input.resource.kind == "llm"
	some pattern in data.vigil.llm.internal_models
	glob.match(pattern, null, input.resource.id)
}

# A private key is refused outright on its way to a model run by someone else. Masking works on
# what the detector recognised: a key re-wrapped, truncated or split across messages can leave
# lines of key material behind, and the key is exposed the moment it was pasted either way:
# refusing tells the person to rotate it instead of letting the request quietly succeed.
block_reasons contains {
	"code": "private_key_to_external_llm",
	"message": sprintf("a private key may not be sent to an external model (%s), even masked", [model]),
} if {
	destination == "llm"
	external_model
	found("secret.private-key")
}

default plan := {
	"detectors": ["registered", "secret.*", "pii.*", "custom.*"],
	"operators": [{"match": "*", "type": "replace"}],
	"exclude_fields": [],
	"block": false,
	"reasons": [{"code": "redact_strict", "message": "no plan applies: every finding replaced"}],
}

# Custom rules the organisation keeps in data (`data.vigil.redact_rules`, same fields as a
# gitleaks rule in snake_case: id, regex, secret_group, entropy, keywords, allowlists). They
# report as `custom.<id>`, beside any rules the server loads with --redact-rules.
custom_rules := rules if {
	rules := data.vigil.redact_rules
	is_array(rules)
} else := []

plan := object.union(selected, {
	"block": count(block_reasons) > 0,
	"reasons": array.concat([r | some r in block_reasons], [plan_reason]),
	"custom_rules": custom_rules,
})
