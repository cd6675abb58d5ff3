package vigil

import (
	"strings"

	vigilv1 "github.com/vigil-dev/vigil/gen/go/vigil/v1"
)

// ReasonNoAnswer is the reason code of a [Decision] made by the client because Vigil gave no
// answer (unreachable, timed out, or answered with an error).
const ReasonNoAnswer = "vigil_no_answer"

// Decision is the outcome of [Client.Authorize]. Exactly one of Allowed, Denied and
// RequiresApproval is true. A decision Vigil did not make (see [Decision.Answered]) is a deny,
// unless the client was built [WithFailOpen] and Vigil was unreachable. The zero Decision is a
// deny.
type Decision struct {
	resp     *vigilv1.AuthorizeResponse
	err      error
	failOpen bool
}

// Allowed reports whether the action may proceed. The caller must still honour
// [Decision.Obligations], and treat one it does not understand as a deny.
func (d Decision) Allowed() bool {
	if d.resp == nil {
		return d.failOpen
	}
	return d.resp.GetDecision() == vigilv1.Decision_DECISION_ALLOW
}

// RequiresApproval reports whether the action needs a reviewer's approval first; wait for
// [Decision.ApprovalID] and repeat the request with it as approval_id.
func (d Decision) RequiresApproval() bool {
	return d.resp != nil && d.resp.GetDecision() == vigilv1.Decision_DECISION_REQUIRE_APPROVAL
}

// Denied reports whether the action must not proceed. A decision value the client does not
// know counts as a deny.
func (d Decision) Denied() bool { return !d.Allowed() && !d.RequiresApproval() }

// Answered reports whether Vigil made this decision. When false, [Decision.Err] says why.
func (d Decision) Answered() bool { return d.resp != nil }

// Err is the error that kept Vigil from answering, or nil when it answered.
func (d Decision) Err() error { return d.err }

// ID is the decision id (also the id of its audit record); empty when Vigil did not answer.
func (d Decision) ID() string { return d.resp.GetDecisionId() }

// Reasons says why, at least one for a deny or a required approval. When Vigil did not
// answer, it is one reason with code [ReasonNoAnswer].
func (d Decision) Reasons() []*vigilv1.Reason {
	if d.resp == nil {
		return []*vigilv1.Reason{{Code: ReasonNoAnswer, Message: "vigil did not answer: " + errText(d.err)}}
	}
	return d.resp.GetReasons()
}

// Obligations are what the caller must do if it proceeds.
func (d Decision) Obligations() []*vigilv1.Obligation { return d.resp.GetObligations() }

// ApprovalID is the approval to wait for (when approval is required) or the one redeemed.
func (d Decision) ApprovalID() string { return d.resp.GetApproval().GetId() }

// Response is Vigil's full answer, or nil when it did not answer.
func (d Decision) Response() *vigilv1.AuthorizeResponse { return d.resp }

// String is a one-line summary such as "deny (offboarded_identity)", for logs.
func (d Decision) String() string {
	verdict := "deny"
	switch {
	case d.Allowed():
		verdict = "allow"
	case d.RequiresApproval():
		verdict = "require_approval"
	}
	codes := make([]string, 0, len(d.Reasons()))
	for _, r := range d.Reasons() {
		codes = append(codes, r.GetCode())
	}
	if len(codes) == 0 {
		return verdict
	}
	return verdict + " (" + strings.Join(codes, ", ") + ")"
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
