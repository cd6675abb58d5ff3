package vigil

import (
	"context"

	"connectrpc.com/connect"

	vigilv1 "github.com/vigil-dev/vigil/gen/go/vigil/v1"
)

// Record appends one event to Vigil's audit trail and returns once it is durable. Vigil masks
// the content before it is stored, also scrubbing the values in secrets; the response carries
// the record id and what was masked. Not retried: a retry could record the event twice.
func (c *Client) Record(
	ctx context.Context,
	event *vigilv1.RecordEvent,
	secrets ...*vigilv1.RegisteredSecret,
) (*vigilv1.RecordResponse, error) {
	res, err := c.policy.Record(ctx, connect.NewRequest(&vigilv1.RecordRequest{
		Event:             event,
		RegisteredSecrets: secrets,
	}))
	if err != nil {
		return nil, err
	}
	return res.Msg, nil
}
