# Recognises high-risk commands and statements in inspected content.
#
# The patterns are a tripwire for honest mistakes and over-eager agents, not a sandbox: a
# command built at run time (`$(echo cm0gLXJmIC8= | base64 -d)`, variables, aliases) passes.
# They are case-insensitive and accept any run of whitespace, including newlines, between words.
package vigil.lib.commands

import data.vigil.lib.contents
import rego.v1

# Content kinds that carry something to execute.
executable_kinds := {"command", "sql", "tool_call"}

# Pattern id → a keyword the lower-cased text must contain, and the RE2 pattern. Ids name
# what matched in tests and in `findings`. The Wasm runtime compiles every pattern afresh on
# each evaluation, so the keyword check (one RE2 pass for all keywords, see keywords_in)
# keeps patterns whose keyword is absent from costing anything: most commands compile none.
destructive_patterns := {
	# DROP TABLE / DATABASE / SCHEMA. `\b` keeps `dropped_tables` and `drop_table_v2` out; a
	# string literal such as SELECT 'drop table' is a tolerated false positive.
	"sql.drop": {"keyword": "drop", "pattern": `(?i)\bdrop\s+(table|database|schema)\b`},
	# TRUNCATE users / TRUNCATE TABLE users. An identifier must follow, so the shell's
	# `truncate -s 0 file` does not match.
	"sql.truncate": {"keyword": "truncate", "pattern": `(?i)\btruncate\s+(table\s+)?[a-z_"\x60\[]`},
	# Recursive rm of /, /*, a top-level directory (/etc, /var/*) or a home directory, with
	# the flags in any order or spelling: -rf, -fr, -Rf, -r -f, --recursive --force.
	# rm -rf /tmp/build is an ordinary clean-up and does not match.
	"shell.rm_root": {"keyword": "rm", "pattern": `(?i)\brm\s+(-{1,2}[a-z-]+\s+)*(-[a-z]*r[a-z]*|--recursive)\s+(-{1,2}[a-z-]+\s+)*["']?(/|/\*|/[a-z0-9_.-]+/?\*?|~[a-z0-9_.-]*/?\*?|\$home/?\*?|\$\{home\}/?\*?)["']?(\s|;|&|\||\)|$)`},
	# GNU rm's own guard, switched off: whatever follows is meant to include /.
	"shell.rm_no_preserve_root": {"keyword": "no-preserve-root", "pattern": `(?i)\brm\s+([^;&|\n]*\s)?--no-preserve-root\b`},
	# terraform destroy, and apply -destroy; OpenTofu (`tofu`) spells them the same.
	"terraform.destroy": {"keyword": "destroy", "pattern": `(?i)\b(terraform|tofu)\s+(-\S+\s+)*destroy\b`},
	"terraform.apply_destroy": {"keyword": "destroy", "pattern": `(?i)\b(terraform|tofu)\s+(-\S+\s+)*apply\b[^;&|\n]*\s-destroy\b`},
	# Buckets and everything in them. Global flags (`--profile prod`, `-m`) may come first.
	"storage.aws_s3_rb": {"keyword": "aws", "pattern": `(?i)\baws\s+(-\S+(\s+[^-\s]\S*)?\s+)*s3\s+rb\b`},
	"storage.aws_s3_rm_recursive": {"keyword": "aws", "pattern": `(?i)\baws\s+(-\S+(\s+[^-\s]\S*)?\s+)*s3\s+rm\b[^;&|\n]*\s--recursive\b`},
	"storage.aws_s3api_delete_bucket": {"keyword": "aws", "pattern": `(?i)\baws\s+(-\S+(\s+[^-\s]\S*)?\s+)*s3api\s+delete-bucket\b`},
	"storage.gsutil_rm_recursive": {"keyword": "gsutil", "pattern": `(?i)\bgsutil\s+(-\S+(\s+[^-\s]\S*)?\s+)*rm\s+(-\S+\s+)*(-[a-z]*r[a-z]*|--recursive)\b`},
	"storage.gsutil_rb": {"keyword": "gsutil", "pattern": `(?i)\bgsutil\s+(-\S+(\s+[^-\s]\S*)?\s+)*rb\b`},
	"storage.gcloud_rm_recursive": {"keyword": "gcloud", "pattern": `(?i)\bgcloud\s+(-\S+(\s+[^-\s]\S*)?\s+)*storage\s+rm\b[^;&|\n]*\s(-[a-z]*r[a-z]*|--recursive)\b`},
	"storage.gcloud_buckets_delete": {"keyword": "gcloud", "pattern": `(?i)\bgcloud\s+(-\S+(\s+[^-\s]\S*)?\s+)*storage\s+buckets\s+delete\b`},
	"storage.az_delete": {"keyword": "storage", "pattern": `(?i)\baz\s+(-\S+(\s+[^-\s]\S*)?\s+)*storage\s+(container|account)\s+delete\b`},
	# kubectl delete of a namespace or of stateful workloads and their volumes; global flags
	# (`--context prod`, `-n payments`) may come first. kubectl get/describe do not match.
	"k8s.delete": {"keyword": "kubectl", "pattern": `(?i)\bkubectl\s+(-\S+(\s+[^-\s]\S*)?\s+)*delete\s+(namespaces?|ns|deployments?|deploy|statefulsets?|sts|pvc|persistentvolumeclaims?)\b`},
}

# A DELETE with no WHERE, or with a WHERE that is always true, empties the table. RE2 has no
# look-ahead, so each statement (split at `;`) is checked for a DELETE and then for a WHERE.
delete_without_where(s) if {
	some statement in split(s, ";")
	regex.match(`(?i)\bdelete\s+from\s+\S`, statement)
	not regex.match(`(?i)\bwhere\b`, statement)
}

delete_without_where(s) if {
	some statement in split(s, ";")
	regex.match(`(?i)\bdelete\s+from\s+\S+\s+where\s+(1\s*=\s*1|true|1)\s*$`, statement)
}

# Ids of the patterns string s matches.
matches(s) := {id |
	present := keywords_in(s)
	some id, p in destructive_patterns
	p.keyword in present
	regex.match(p.pattern, s)
} | {"sql.delete_without_where" |
	"delete" in keywords_in(s)
	delete_without_where(s)
}

# The keywords present in s, found in one case-insensitive RE2 pass. Measured in Wasm on a
# 93 KiB command: a substring search per keyword costs 32 ms, this 5 ms; on a one-line command
# both cost about 0.7 ms, against 1.7 ms for running every pattern.
keywords := {p.keyword | some p in destructive_patterns} | {"delete"}

keywords_in(s) := {lower(m[0]) | some m in regex.find_all_string_submatch_n(keyword_regex, s, -1)}

# Keywords hold no regex metacharacters.
keyword_regex := concat("", ["(?i)", concat("|", keywords)])

# Ids of the patterns matched by any executable content in `items`.
findings(items) := {id |
	some c in items
	c.kind in executable_kinds
	some s in contents.strings_of(c)
	some id in matches(s)
}

# True when any executable content matches a destructive pattern.
destructive(items) if count(findings(items)) > 0
