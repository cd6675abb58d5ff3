package vigil.redact_test

import data.vigil.lib.redact.operator_for
import data.vigil.lib.redact.runs
import data.vigil.redact
import rego.v1

caller := {"id": "proxy", "method": "mtls", "roles": [], "peer": "10.0.0.7"}

gpt := {"kind": "llm", "id": "openai:gpt-4o", "attributes": {}}

plan_input(target, destination) := {
	"caller": caller,
	"principal": {"id": "alice@example.com", "kind": "user", "groups": [], "attributes": {}},
	"action": "llm.complete",
	"resource": gpt,
	"target": target,
	"destination": destination,
	"content_names": ["messages[0].content"],
	"time": {"unix_ms": 1772366400000, "rfc3339": "2026-03-01T12:00:00.000Z"},
}

plan_for(target, destination) := p if {
	p := redact.plan with input as plan_input(target, destination)
}

op(p, d) := operator_for(p, d).type

codes(p) := [r.code | some r in p.reasons]

# --- shape ----------------------------------------------------------------------------------

test_every_plan_has_the_full_output_shape if {
	every destination in ["llm", "caller", "observability", "ci_log", "audit", "somewhere", ""] {
		p := plan_for("prompt", destination)
		is_array(p.detectors)
		is_array(p.operators)
		is_array(p.exclude_fields)
		is_boolean(p.block)
		count(p.reasons) > 0
		every o in p.operators {
			o.type in {"replace", "partial", "fingerprint", "drop"}
			is_string(o.match)
		}
	}
}

test_plan_is_defined_for_an_empty_input if {
	p := redact.plan with input as {}
	p.block == false
	op(p, "secret.github-pat") == "replace"
}

test_every_plan_gives_every_finding_an_operator if {
	# The catch-all: a detector added later is still masked.
	every destination in ["llm", "caller", "observability", "ci_log", "audit", "somewhere"] {
		p := plan_for("prompt", destination)
		op(p, "future.detector") == "replace"
	}
}

# --- prompts bound for a model --------------------------------------------------------------

test_prompt_to_llm_replaces_registered_values_and_secrets if {
	p := plan_for("prompt", "llm")
	every d in ["registered", "secret.github-pat", "secret.aws-access-key", "secret.jwt", "secret.generic-assignment", "secret.private-key"] {
		runs(p, d)
		op(p, d) == "replace"
	}
	p.block == false
	codes(p) == ["redact_llm"]
}

test_prompt_to_llm_masks_personal_data_partially if {
	p := plan_for("prompt", "llm")
	operator_for(p, "pii.card") == {"match": "pii.card", "type": "partial", "keep_prefix": 0, "keep_suffix": 4}
	operator_for(p, "pii.iban") == {"match": "pii.iban", "type": "partial", "keep_prefix": 2, "keep_suffix": 4}
	op(p, "pii.email") == "partial"
	op(p, "pii.phone") == "partial"
}

test_ssn_is_replaced_not_partially_masked if {
	op(plan_for("prompt", "llm"), "pii.ssn") == "replace"
}

test_prompt_destination_defaults_to_llm if {
	plan_for("prompt", "") == plan_for("prompt", "llm")
	redact.plan == plan_for("prompt", "llm") with input as object.remove(plan_input("prompt", ""), ["destination"])
}

test_tool_results_going_back_to_the_model_are_masked_like_prompts if {
	p := plan_for("tool_result", "")
	codes(p) == ["redact_llm"]
	op(p, "secret.github-pat") == "replace"
}

# --- blocking -------------------------------------------------------------------------------

with_findings(i, findings) := object.union(i, {"findings": findings})

test_private_key_in_prompt_for_external_model_is_refused if {
	p := redact.plan with input as with_findings(plan_input("prompt", "llm"), ["pii.email", "secret.private-key"])
	p.block == true
	codes(p) == ["private_key_to_external_llm", "redact_llm"]
	p.reasons[0].message == "a private key may not be sent to an external model (openai:gpt-4o), even masked"
}

test_private_key_in_tool_output_for_external_model_is_refused if {
	# An agent that ran `cat ~/.ssh/id_ed25519` must not feed the result to the model.
	p := redact.plan with input as with_findings(plan_input("tool_result", ""), ["secret.private-key"])
	p.block == true
}

test_unnamed_model_counts_as_external if {
	i := object.union(plan_input("prompt", "llm"), {"resource": {"kind": "agent-runtime", "id": ""}, "findings": ["secret.private-key"]})
	p := redact.plan with input as i
	p.block == true
	p.reasons[0].message == "a private key may not be sent to an external model (unnamed), even masked"
}

test_private_key_for_a_self_hosted_model_is_masked_not_refused if {
	i := object.union(plan_input("prompt", "llm"), {"resource": {"kind": "llm", "id": "vllm:llama-3-70b"}, "findings": ["secret.private-key"]})
	p := redact.plan with input as i
	p.block == false
	op(p, "secret.private-key") == "replace"
}

test_other_secrets_for_an_external_model_are_masked_not_refused if {
	p := redact.plan with input as with_findings(plan_input("prompt", "llm"), ["secret.github-pat", "registered", "secret.aws-access-key"])
	p.block == false
}

test_no_findings_means_no_block if {
	plan_for("prompt", "llm").block == false
	p := redact.plan with input as with_findings(plan_input("prompt", "llm"), [])
	p.block == false
}

test_private_key_in_a_response_or_a_log_is_masked_not_refused if {
	every pair in [["completion", "caller"], ["log", "observability"], ["trace", "audit"]] {
		p := redact.plan with input as with_findings(plan_input(pair[0], pair[1]), ["secret.private-key"])
		p.block == false
		op(p, "secret.private-key") == "replace"
	}
}

# --- completions returning to the caller ----------------------------------------------------

test_response_to_caller_replaces_secrets if {
	p := plan_for("completion", "caller")
	every d in ["registered", "secret.github-pat", "secret.private-key"] {
		runs(p, d)
		op(p, d) == "replace"
	}
	codes(p) == ["redact_caller"]
}

test_response_to_caller_leaves_personal_data_alone if {
	p := plan_for("completion", "caller")
	every d in ["pii.email", "pii.card", "pii.phone"] {
		not runs(p, d)
	}
}

test_completion_destination_defaults_to_caller if {
	plan_for("completion", "") == plan_for("completion", "caller")
}

# --- logs, traces and reasoning for observability -------------------------------------------

test_logs_traces_and_reasoning_replace_secrets_and_fingerprint_personal_data if {
	every target in ["log", "trace"] {
		p := plan_for(target, "")
		codes(p) == ["redact_observability"]
		op(p, "registered") == "replace"
		op(p, "secret.jwt") == "replace"
		every d in ["pii.email", "pii.card", "pii.iban", "pii.ssn", "pii.phone"] {
			runs(p, d)
			op(p, d) == "fingerprint"
		}
	}
}

test_trace_and_span_ids_are_never_scanned if {
	p := plan_for("log", "observability")
	{"/trace_id", "/span_id"} == {f | some f in p.exclude_fields} & {"/trace_id", "/span_id"}
	every f in p.exclude_fields {
		startswith(f, "/")
	}
}

test_only_observability_excludes_fields if {
	every destination in ["llm", "caller", "ci_log", "audit", "somewhere"] {
		plan_for("log", destination).exclude_fields == []
	}
}

# --- audit and CI logs ----------------------------------------------------------------------

test_audit_scans_everything_replaces_secrets_and_fingerprints_personal_data if {
	p := plan_for("prompt", "audit")
	every d in ["registered", "secret.github-pat", "pii.email", "custom.employee-id"] {
		runs(p, d)
	}
	op(p, "secret.github-pat") == "replace"
	op(p, "pii.card") == "fingerprint"
	op(p, "custom.employee-id") == "replace"
	codes(p) == ["redact_audit"]
}

test_ci_log_replaces_every_finding if {
	p := plan_for("log", "ci_log")
	every d in ["registered", "secret.github-pat", "pii.email", "custom.x"] {
		runs(p, d)
		op(p, d) == "replace"
	}
}

# --- unknown destinations -------------------------------------------------------------------

test_unknown_destination_gets_the_strict_plan if {
	p := plan_for("http_body", "")
	codes(p) == ["redact_strict"]
	every d in ["registered", "secret.github-pat", "pii.email", "custom.x"] {
		runs(p, d)
		op(p, d) == "replace"
	}
	plan_for("prompt", "pastebin").operators == p.operators
}

test_operators_first_match_wins if {
	# pii.card has its own entry before pii.*; the order is what makes it partial.
	p := plan_for("prompt", "llm")
	op(p, "pii.card") == "partial"
	op(p, "pii.passport") == "replace"
}

# --- custom rules from data -----------------------------------------------------------------

acme_rule := {"id": "acme-api-token", "regex": "acme_[0-9a-f]{32}", "keywords": ["acme_"]}

test_plans_carry_the_custom_rules_kept_in_data if {
	every destination in ["llm", "caller", "observability", "ci_log", "audit", "somewhere"] {
		p := redact.plan with input as plan_input("prompt", destination) with data.vigil.redact_rules as [acme_rule]
		p.custom_rules == [acme_rule]
		runs(p, "custom.acme-api-token")
		op(p, "custom.acme-api-token") == "replace"
	}
}

test_no_custom_rules_in_data_means_an_empty_list if {
	p := plan_for("prompt", "llm")
	p.custom_rules == []
}
