package vigil_test

import (
	"context"
	"log"

	vigil "github.com/vigil-dev/vigil/clients/go"
	vigilv1 "github.com/vigil-dev/vigil/gen/go/vigil/v1"
)

// The README shows this body; readme_test.go keeps the two equal.
func Example() {
	ctx := context.Background()
	c := vigil.New("http://127.0.0.1:8444", vigil.WithProtocol(vigil.ProtocolGRPC))

	d, err := c.Authorize(ctx, &vigilv1.AuthorizeRequest{
		Principal: &vigilv1.Principal{Id: "agent:deploy-bot", Kind: vigilv1.PrincipalKind_PRINCIPAL_KIND_AGENT},
		Action:    "llm.complete",
		Resource:  &vigilv1.Resource{Kind: "llm", Id: "openai:gpt-4o"},
		SessionId: "run-42",
	})
	if !d.Allowed() {
		// Denied, waiting for approval, or no answer from Vigil (err says why): stop here.
		log.Fatalf("vigil: %v (decision %s, error %v)", d, d.ID(), err)
	}

	prompt := "deploy with GITHUB_TOKEN=ghp_..."
	masked, err := c.Redact(ctx, prompt, vigilv1.ContentKind_CONTENT_KIND_PROMPT)
	if err != nil {
		log.Fatalf("vigil: redact: %v", err) // never fall back to the unmasked prompt
	}
	log.Printf("sending %q (%d findings)", masked.Text, len(masked.Findings))

	rec, err := c.Record(ctx, &vigilv1.RecordEvent{
		Kind:       vigilv1.RecordEventKind_RECORD_EVENT_KIND_REQUEST,
		SessionId:  "run-42",
		Principal:  &vigilv1.Principal{Id: "agent:deploy-bot", Kind: vigilv1.PrincipalKind_PRINCIPAL_KIND_AGENT},
		DecisionId: d.ID(),
		Content:    &vigilv1.Content{Kind: vigilv1.ContentKind_CONTENT_KIND_PROMPT, Body: &vigilv1.Content_Text{Text: prompt}},
	})
	if err != nil {
		log.Fatalf("vigil: record: %v", err)
	}
	log.Printf("recorded as %s", rec.GetRecordId())
}
