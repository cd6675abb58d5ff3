# Redact plan semantics, as Vigil's redactor applies them, for plans and their tests.
#
# Detector ids: `registered`, `secret.<format>`, `pii.<kind>`, `custom.<id>`. Globs use `*` for
# any run of characters, dots included (`*` matches every detector). A plan runs the detectors
# its `detectors` globs name; each finding gets the first operator whose `match` glob matches
# its detector id.
package vigil.lib.redact

import rego.v1

# True when glob pattern p matches detector id d.
glob_matches(p, d) if glob.match(p, null, d)

# True when plan p runs detector d.
runs(p, d) if {
	some g in p.detectors
	glob_matches(g, d)
}

# The operator plan p applies to a finding of detector d: the first that matches.
operator_for(p, d) := ops[0] if {
	ops := [op | some op in p.operators; glob_matches(op.match, d)]
	count(ops) > 0
}

# An operator entry. keep_prefix and keep_suffix apply to `partial` only.
replaced(m) := {"match": m, "type": "replace"}

fingerprinted(m) := {"match": m, "type": "fingerprint"}

partially_masked(m, prefix, suffix) := {"match": m, "type": "partial", "keep_prefix": prefix, "keep_suffix": suffix}
