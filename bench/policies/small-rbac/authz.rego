# A minimal role-based policy for the benchmark: the cheapest useful `vigil/authz/decision`,
# so the comparison shows the cost of the service around the policy rather than of the rules.
package vigil.authz

default decision := {"decision": "deny", "reasons": [{"code": "no_role", "message": "no group grants this action"}]}

decision := {"decision": "allow"} if {
	some group in input.principal.groups
	input.action in data.vigil.rbac.grants[group]
}
