package vigil

import (
	"context"

	"connectrpc.com/connect"

	vigilv1 "github.com/vigil-dev/vigil/gen/go/vigil/v1"
)

// Redaction is the outcome of [Client.Redact].
type Redaction struct {
	// ID is the redaction id, also that of its audit record.
	ID string
	// Text is the masked text, safe to forward.
	Text string
	// Findings say what was found and what was done, never the values.
	Findings []*vigilv1.Finding
	// Modified is true when Text differs from the input.
	Modified bool
}

// Redact masks secrets and personal data in text of the given kind with the policy's default
// redact plan. On error the Redaction is nil: never forward the original text instead. For
// JSON content, registered secrets or a redact profile, call [Client.Policy] directly.
func (c *Client) Redact(ctx context.Context, text string, kind vigilv1.ContentKind) (*Redaction, error) {
	res, err := c.policy.Redact(ctx, connect.NewRequest(&vigilv1.RedactRequest{
		Content: &vigilv1.Content{Kind: kind, Body: &vigilv1.Content_Text{Text: text}},
	}))
	if err != nil {
		return nil, err
	}
	return &Redaction{
		ID:       res.Msg.GetRedactionId(),
		Text:     res.Msg.GetContent().GetText(),
		Findings: res.Msg.GetFindings(),
		Modified: res.Msg.GetModified(),
	}, nil
}
