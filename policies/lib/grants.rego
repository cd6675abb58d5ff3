# Approval grants: `input.grant`, an approval that Vigil verified and redeemed for this request.
#
#   {"id": "…", "state": "approved", "approvers": [{"id": "bob@example.com", "group": "sre-oncall"}],
#    "expires_at_ns": 1767225600000000000}
#
# Vigil binds a grant to the request it was approved for and checks the approvers against the
# approval rules before it sets the field; the checks here are a second line of defence. The
# field is optional: absent means no grant. Approvers may be ids or {"id", "group"} objects.
package vigil.lib.grants

import rego.v1

# True when grant g is usable by principal principal_id now, by Vigil's clock. time.now_ns comes
# last so that the host is asked for the time only for an approved grant.
valid(g, principal_id) if {
	g.state == "approved"
	ids := approver_ids(g)
	count(ids) > 0
	not principal_id in ids
	is_number(g.expires_at_ns)
	g.expires_at_ns > time.now_ns()
}

# Why grant g is not usable, as a phrase for a reason message ("approval grant G has expired").
problem(g, principal_id) := sprintf("is %s, not approved", [g.state]) if {
	is_string(g.state)
	g.state != "approved"
} else := "has no state" if {
	not is_string(object.get(g, "state", null))
} else := "names no approver" if {
	count(approver_ids(g)) == 0
} else := "was approved by the requester itself" if {
	principal_id in approver_ids(g)
} else := "has no expiry time" if {
	not is_number(object.get(g, "expires_at_ns", null))
} else := "has expired"

approver_ids(g) := {id |
	some a in object.get(g, "approvers", [])
	id := approver_id(a)
}

approver_id(a) := a if is_string(a)

approver_id(a) := a.id if is_object(a)
