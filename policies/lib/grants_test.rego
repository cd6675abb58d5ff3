package vigil.lib.grants_test

import data.vigil.lib.grants
import rego.v1

now := 1772366400000000000

grant := {"id": "apr-1", "state": "approved", "approvers": [{"id": "bob@example.com", "group": "sre-oncall"}], "expires_at_ns": now + 1}

test_approved_unexpired_grant_is_valid if {
	grants.valid(grant, "agent:x") with time.now_ns as now
}

test_grant_is_invalid_from_the_moment_it_expires if {
	not grants.valid(grant, "agent:x") with time.now_ns as now + 1
	grants.problem(grant, "agent:x") == "has expired"
}

test_approvers_may_be_plain_ids if {
	grants.valid(object.union(grant, {"approvers": ["bob@example.com"]}), "agent:x") with time.now_ns as now
}

# As authz uses it: a rule over input.grant, so an absent grant makes the rule false.
granted if grants.valid(input.grant, "agent:x")

test_absent_grant_is_not_valid if {
	not granted with input as {} with time.now_ns as now
}

test_unapproved_grant_does_not_ask_for_the_time if {
	# time.now_ns is not consulted (a failing clock would be noticed) unless the grant is approved.
	not grants.valid(object.union(grant, {"state": "consumed"}), "agent:x") with time.now_ns as "not a number"
}

test_problems_are_named if {
	grants.problem(object.union(grant, {"state": "consumed"}), "agent:x") == "is consumed, not approved"
	grants.problem(object.remove(grant, ["state"]), "agent:x") == "has no state"
	grants.problem(object.remove(grant, ["approvers"]), "agent:x") == "names no approver"
	grants.problem(grant, "bob@example.com") == "was approved by the requester itself"
	grants.problem(object.union(grant, {"expires_at_ns": "soon"}), "agent:x") == "has no expiry time"
}
