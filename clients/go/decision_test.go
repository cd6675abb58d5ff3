package vigil

import (
	"context"
	"errors"
	"testing"

	"connectrpc.com/connect"

	vigilv1 "github.com/vigil-dev/vigil/gen/go/vigil/v1"
)

func TestDecisionFollowsVigilsAnswer(t *testing.T) {
	cases := []struct {
		name                              string
		decision                          vigilv1.Decision
		allowed, denied, requiresApproval bool
	}{
		{"allow", vigilv1.Decision_DECISION_ALLOW, true, false, false},
		{"deny", vigilv1.Decision_DECISION_DENY, false, true, false},
		{"require approval", vigilv1.Decision_DECISION_REQUIRE_APPROVAL, false, false, true},
		{"unspecified is a deny", vigilv1.Decision_DECISION_UNSPECIFIED, false, true, false},
		{"an unknown value is a deny", vigilv1.Decision(99), false, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decision{resp: &vigilv1.AuthorizeResponse{
				DecisionId: "d-1",
				Decision:   tc.decision,
				Approval:   &vigilv1.Approval{Id: "a-1"},
			}}
			got := [3]bool{d.Allowed(), d.Denied(), d.RequiresApproval()}
			want := [3]bool{tc.allowed, tc.denied, tc.requiresApproval}
			if got != want {
				t.Fatalf("allowed, denied, requires approval = %v, want %v", got, want)
			}
			if !d.Answered() || d.Err() != nil || d.ID() != "d-1" || d.ApprovalID() != "a-1" {
				t.Fatalf("answered decision lost its fields: %v", d)
			}
		})
	}
}

func TestFailOpenAppliesOnlyWhenVigilIsUnreachable(t *testing.T) {
	cases := []struct {
		name    string
		err     error
		allowed bool
	}{
		{"unavailable", connect.NewError(connect.CodeUnavailable, errors.New("connection refused")), true},
		{"deadline exceeded", connect.NewError(connect.CodeDeadlineExceeded, context.DeadlineExceeded), true},
		{"invalid argument", connect.NewError(connect.CodeInvalidArgument, errors.New("action is required")), false},
		{"unauthenticated", connect.NewError(connect.CodeUnauthenticated, errors.New("unknown token")), false},
		{"cancelled by the caller", connect.NewError(connect.CodeCanceled, context.Canceled), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if d := unanswered(tc.err, false); !d.Denied() {
				t.Fatalf("without fail-open: %v, want deny", d)
			}
			d := unanswered(tc.err, true)
			if d.Allowed() != tc.allowed || d.Denied() == tc.allowed {
				t.Fatalf("with fail-open: %v, want allowed=%v", d, tc.allowed)
			}
			if d.Answered() || !errors.Is(d.Err(), tc.err) {
				t.Fatalf("unanswered decision must carry its error, got %v", d.Err())
			}
		})
	}
}

func TestUnansweredDecisionExplainsItself(t *testing.T) {
	d := unanswered(connect.NewError(connect.CodeUnavailable, errors.New("connection refused")), false)
	reasons := d.Reasons()
	if len(reasons) != 1 || reasons[0].GetCode() != ReasonNoAnswer {
		t.Fatalf("reasons = %v, want one %q", reasons, ReasonNoAnswer)
	}
	if got, want := d.String(), "deny ("+ReasonNoAnswer+")"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if d.ID() != "" || d.ApprovalID() != "" || d.Obligations() != nil || d.Response() != nil {
		t.Fatalf("unanswered decision has answer fields: %v", d.Response())
	}
}
