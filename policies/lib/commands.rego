# Recognises high-risk commands and statements in inspected content.
package vigil.lib.commands

import rego.v1

# Case-insensitive patterns for actions that destroy data or infrastructure.
destructive_patterns := [
	`(?i)\brm\s+(-[a-z]*r[a-z]*f[a-z]*|-[a-z]*f[a-z]*r[a-z]*)\s+/`,
	`(?i)\bdrop\s+(table|database|schema)\b`,
	`(?i)\btruncate\s+(table\s+)?\w+`,
	`(?i)\bdelete\s+from\s+\w+\s*(;|$)`,
	`(?i)\bterraform\s+destroy\b`,
	`(?i)\bkubectl\s+delete\s+(namespace|ns|deployment|statefulset|pvc)\b`,
	`(?i)\baws\s+s3\s+rb\b`,
	`(?i)\bgsutil\s+rm\s+-r\b`,
]

# Content kinds that carry something to execute.
executable_kinds := {"command", "sql", "tool_call"}

# The text of content item c: its text, or its JSON serialised.
text_of(c) := c.text if is_string(c.text)

text_of(c) := json.marshal(c.json) if not is_string(c.text)

# True when any executable content matches a destructive pattern.
destructive(contents) if {
	some c in contents
	c.kind in executable_kinds
	some p in destructive_patterns
	regex.match(p, text_of(c))
}
