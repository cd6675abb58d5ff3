# Reading `input.contents`: the text of an item, every string inside JSON content, and sizes.
#
# Content arrives as {"kind", "name", "text"} or {"kind", "name", "json"} (JSON already parsed).
package vigil.lib.contents

import rego.v1

# The text of content item c: its text, or its JSON serialised.
text_of(c) := c.text if {
	has_text(c)
} else := json.marshal(c.json)

has_text(c) if is_string(object.get(c, "text", null))

# Every string a content item carries: its text, or each string value inside its JSON.
# Tool calls often carry JSON encoded inside a string (OpenAI's `arguments`, or a tool_call sent
# as text), where a newline is the two characters `\n`; such a string is decoded and its own
# string values are taken instead, so patterns see the text as the tool will.
strings_of(c) := decoded(c.text) if {
	has_text(c)
} else := {s |
	some v in json_strings(c.json)
	some s in decoded(v)
}

json_strings(doc) := {v | walk(doc, [_, v]); is_string(v)}

decoded(s) := json_strings(json.unmarshal(s)) if {
	regex.match(`^\s*[\[{]`, s)
	json.is_valid(s)
} else := {s}

# The size of string s in UTF-8 bytes. `count` counts characters, and Rego has no byte-length
# builtin; base64 output is exactly 4 characters per 3 bytes, less the padding.
byte_length(s) := ((count(b) / 4) * 3) - (count(b) - count(trim_right(b, "="))) if {
	b := base64.encode(s)
}

# Bytes of the prompt in `contents`: text prompts as UTF-8, JSON prompts as serialised JSON.
prompt_bytes(contents) := sum([byte_length(text_of(c)) | some c in contents; c.kind == "prompt"])

# The prompt size limit in bytes: `data.vigil.limits.max_prompt_bytes`, a number of bytes or a
# string such as "256KiB"; 256 KiB when data does not say.
max_prompt_bytes := n if {
	n := data.vigil.limits.max_prompt_bytes
	is_number(n)
} else := units.parse_bytes(s) if {
	s := data.vigil.limits.max_prompt_bytes
	is_string(s)
} else := 262144
