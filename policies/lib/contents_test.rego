package vigil.lib.contents_test

import data.vigil.lib.contents
import rego.v1

test_byte_length_counts_utf8_bytes_not_characters if {
	contents.byte_length("") == 0
	contents.byte_length("a") == 1
	contents.byte_length("ab") == 2
	contents.byte_length("abc") == 3
	contents.byte_length("é") == 2
	contents.byte_length("€") == 3
	contents.byte_length("😀") == 4
	contents.byte_length("héllo€") == 9
}

test_text_of_is_the_text_or_the_serialised_json if {
	contents.text_of({"kind": "prompt", "name": "", "text": "hi"}) == "hi"
	contents.text_of({"kind": "prompt", "name": "", "json": {"a": [1, "b"]}}) == `{"a":[1,"b"]}`
	contents.text_of({"kind": "prompt", "name": "", "text": ""}) == ""
}

test_strings_of_text_content_is_the_text if {
	contents.strings_of({"kind": "command", "name": "", "text": "ls"}) == {"ls"}
}

test_strings_of_text_that_is_json_are_its_string_values if {
	c := {"kind": "tool_call", "name": "", "text": "{\"name\": \"run_sql\", \"arguments\": {\"query\": \"DROP TABLE t\"}}"}
	contents.strings_of(c) == {"run_sql", "DROP TABLE t"}
}

test_strings_of_json_content_are_its_string_values if {
	c := {"kind": "tool_call", "name": "", "json": {"name": "sh", "n": 3, "ok": true, "args": ["a", {"b": "c"}]}}
	contents.strings_of(c) == {"sh", "a", "c"}
}

test_strings_of_json_include_strings_inside_json_encoded_strings if {
	c := {"kind": "tool_call", "name": "", "json": {"arguments": "{\"query\": \"SELECT 1\", \"opts\": [\"x\"]}"}}
	contents.strings_of(c) == {"SELECT 1", "x"}
}

test_strings_that_only_look_like_json_are_kept_as_they_are if {
	c := {"kind": "tool_call", "name": "", "json": {"arguments": "{not json"}}
	contents.strings_of(c) == {"{not json"}
}

test_prompt_bytes_counts_only_prompts if {
	items := [
		{"kind": "prompt", "name": "", "text": "abc"},
		{"kind": "prompt", "name": "", "json": {"k": "é"}},
		{"kind": "completion", "name": "", "text": "ignored"},
	]

	# "abc" is 3 bytes; {"k":"é"} is 10 (é takes 2).
	contents.prompt_bytes(items) == 13
	contents.prompt_bytes([]) == 0
}
