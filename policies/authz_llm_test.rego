# LLM completions and telemetry: redact obligations, and the prompt size limit.
package vigil.authz_test

import data.vigil.authz
import rego.v1

llm := {"kind": "llm", "id": "openai:gpt-4o", "attributes": {}}

completion(prompts) := with_input({"action": "llm.complete", "resource": llm, "secrets": [], "contents": prompts})

prompt(text) := {"kind": "prompt", "name": "messages[0].content", "text": text}

redact_llm := {"type": "redact", "profile": "default", "kinds": ["prompt", "completion"]}

test_llm_completion_is_allowed_with_prompts_and_completions_redacted if {
	d := authz.decision with input as completion([prompt("deploy with ghp_0123456789abcdefghijklmnopqrstuvwxyzAB")])
	d.decision == "allow"
	d.obligations == [redact_llm]
}

test_llm_redact_obligation_comes_with_agent_recording if {
	d := authz.decision with input as object.union(completion([]), {"principal": agent})
	d.obligations == [redact_llm, {"type": "record", "session": true}]
}

test_other_actions_carry_no_redact_obligation if {
	every action in ["secret.read", "db.query", "http.request"] {
		d := authz.decision with input as with_input({"action": action})
		not "redact" in {o.type | some o in d.obligations}
	}
}

test_telemetry_export_redacts_logs_and_traces if {
	inp := with_input({
		"action": "telemetry.export",
		"resource": {"kind": "otlp-endpoint", "id": "honeycomb", "attributes": {}},
		"contents": [{"kind": "trace", "name": "reasoning", "text": "the user's key is AKIAIOSFODNN7EXAMPLE"}],
	})
	d := authz.decision with input as inp
	d.decision == "allow"
	d.obligations == [{"type": "redact", "profile": "default", "kinds": ["log", "trace"]}]
}

test_prompt_at_the_limit_is_allowed if {
	d := authz.decision with input as completion([prompt("0123456789")]) with data.vigil.limits.max_prompt_bytes as 10
	d.decision == "allow"
}

test_prompt_over_the_limit_is_denied if {
	d := authz.decision with input as completion([prompt("0123456789x")]) with data.vigil.limits.max_prompt_bytes as 10
	d.decision == "deny"
	d.reasons == [{"code": "prompt_too_large", "message": "the prompt is 11 bytes; the limit is 10"}]
}

test_prompt_size_is_the_sum_of_prompt_contents_in_utf8_bytes if {
	# "€" is 3 bytes; the completion and the command do not count towards the prompt.
	items := [
		prompt("€€"),
		{"kind": "prompt", "name": "tools", "json": {"a": 1}},
		{"kind": "completion", "name": "", "text": "0123456789"},
		{"kind": "command", "name": "", "text": "0123456789"},
	]

	# 6 bytes of text + 7 bytes of {"a":1}
	authz.decision.decision == "allow" with input as completion(items) with data.vigil.limits.max_prompt_bytes as 13
	d := authz.decision with input as completion(items) with data.vigil.limits.max_prompt_bytes as 12
	codes(d) == ["prompt_too_large"]
}

a_bytes(n) := concat("", [x | some _ in numbers.range(1, n); x := "a"])

test_prompt_limit_may_be_written_with_units if {
	d := authz.decision with input as completion([prompt(a_bytes(1025))]) with data.vigil.limits.max_prompt_bytes as "1KiB"
	d.reasons == [{"code": "prompt_too_large", "message": "the prompt is 1025 bytes; the limit is 1024"}]
	authz.decision.decision == "allow" with input as completion([prompt(a_bytes(1024))]) with data.vigil.limits.max_prompt_bytes as "1KiB"
}

test_unreadable_prompt_limit_falls_back_to_256_kib if {
	d := authz.decision with input as completion([prompt(a_bytes(262145))]) with data.vigil.limits.max_prompt_bytes as "lots"
	codes(d) == ["prompt_too_large"]
}

test_prompt_limit_defaults_to_256_kib if {
	d := authz.decision with input as completion([prompt(a_bytes(262145))]) with data.vigil.limits as {}
	d.reasons == [{"code": "prompt_too_large", "message": "the prompt is 262145 bytes; the limit is 262144"}]
}
