package vigil

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	vigilv1 "github.com/vigil-dev/vigil/gen/go/vigil/v1"
)

// Authorize asks Vigil whether the action in req may proceed. It always returns a usable
// [Decision]: if Vigil cannot be reached or answers with an error, the decision is a deny and
// the error is returned too (fail closed; see [WithFailOpen] for the one exception).
func (c *Client) Authorize(ctx context.Context, req *vigilv1.AuthorizeRequest) (Decision, error) {
	res, err := c.policy.Authorize(ctx, connect.NewRequest(req))
	if err != nil {
		return unanswered(err, c.failOpen), err
	}
	return Decision{resp: res.Msg}, nil
}

// unanswered is the decision the client makes itself when Vigil gave no answer: a deny, or an
// allow only when the caller opted into failing open and the failure is one of reachability.
func unanswered(err error, failOpen bool) Decision {
	return Decision{err: err, failOpen: failOpen && unreachable(err)}
}

func unreachable(err error) bool {
	if errors.Is(err, context.Canceled) {
		// The caller gave up; that is not Vigil being down.
		return false
	}
	switch connect.CodeOf(err) {
	case connect.CodeUnavailable, connect.CodeDeadlineExceeded:
		return true
	default:
		return false
	}
}
