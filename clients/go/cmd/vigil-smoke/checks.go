package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	vigil "github.com/vigil-dev/vigil/clients/go"
	vigilv1 "github.com/vigil-dev/vigil/gen/go/vigil/v1"
)

// smoke holds what the checks of one protocol share.
type smoke struct {
	client   *vigil.Client
	protocol vigil.Protocol
	session  string
	// token is a planted GitHub token: a fake secret that must never come back or be stored.
	token string
}

// check is one expectation; run returns a short description of what it saw, or why it failed.
type check struct {
	name string
	run  func(context.Context) (string, error)
}

func (s smoke) checks() []check {
	return []check{
		{"offboarded CI job is denied", s.offboardedIsDenied},
		{"ordinary read is allowed", s.ordinaryReadIsAllowed},
		{"planted token is redacted", s.tokenIsRedacted},
		{"event is recorded without the token", s.eventIsRecorded},
		{"unreachable server fails closed", s.unreachableFailsClosed},
	}
}

func (s smoke) offboardedIsDenied(ctx context.Context) (string, error) {
	d, err := s.client.Authorize(ctx, &vigilv1.AuthorizeRequest{
		Principal: &vigilv1.Principal{
			Id:   "repo:acme/legacy-billing:ref:refs/heads/main",
			Kind: vigilv1.PrincipalKind_PRINCIPAL_KIND_CI_JOB,
		},
		Action:   "secret.read",
		Resource: &vigilv1.Resource{Kind: "secret", Id: "prod/deploy-key", Attributes: attrs("production")},
		Secrets:  []*vigilv1.SecretRef{{Name: "DEPLOY_KEY", Store: "github-actions"}},
	})
	if err != nil {
		return "", err
	}
	if !d.Denied() || !hasReason(d, "offboarded_identity") {
		return "", fmt.Errorf("got %v, want deny (offboarded_identity)", d)
	}
	return fmt.Sprintf("%v, decision %s", d, d.ID()), nil
}

func (s smoke) ordinaryReadIsAllowed(ctx context.Context) (string, error) {
	d, err := s.client.Authorize(ctx, &vigilv1.AuthorizeRequest{
		Principal: &vigilv1.Principal{
			Id:     "alice@example.com",
			Kind:   vigilv1.PrincipalKind_PRINCIPAL_KIND_USER,
			Groups: []string{"dev"},
		},
		Action:   "secret.read",
		Resource: &vigilv1.Resource{Kind: "secret", Id: "staging/db-password", Attributes: attrs("staging")},
		Secrets:  []*vigilv1.SecretRef{{Name: "DB_PASSWORD", Store: "vault"}},
	})
	if err != nil {
		return "", err
	}
	if !d.Allowed() {
		return "", fmt.Errorf("got %v, want allow", d)
	}
	return fmt.Sprintf("%v, decision %s", d, d.ID()), nil
}

func (s smoke) tokenIsRedacted(ctx context.Context) (string, error) {
	r, err := s.client.Redact(ctx, "push with GITHUB_TOKEN="+s.token+" then deploy",
		vigilv1.ContentKind_CONTENT_KIND_PROMPT)
	if err != nil {
		return "", err
	}
	if strings.Contains(r.Text, s.token) {
		return "", errors.New("the token is still in the redacted text")
	}
	if len(r.Findings) == 0 || !r.Modified {
		return "", fmt.Errorf("no finding (modified %v)", r.Modified)
	}
	return fmt.Sprintf("%q, findings %s", r.Text, detectors(r.Findings)), nil
}

func (s smoke) eventIsRecorded(ctx context.Context) (string, error) {
	res, err := s.client.Record(ctx, &vigilv1.RecordEvent{
		Kind:      vigilv1.RecordEventKind_RECORD_EVENT_KIND_COMMAND,
		SessionId: s.session,
		Principal: &vigilv1.Principal{Id: "agent:go-smoke", Kind: vigilv1.PrincipalKind_PRINCIPAL_KIND_AGENT},
		Action:    "tool.call",
		Content: &vigilv1.Content{
			Kind: vigilv1.ContentKind_CONTENT_KIND_COMMAND,
			Body: &vigilv1.Content_Text{Text: "gh auth login --with-token " + s.token},
			Name: s.protocol.String(),
		},
	})
	if err != nil {
		return "", err
	}
	if res.GetRecordId() == "" || len(res.GetFindings()) == 0 {
		return "", fmt.Errorf("record id %q with %d findings, want an id and a finding",
			res.GetRecordId(), len(res.GetFindings()))
	}
	// Read it back: the stored content must be masked.
	got, err := s.client.Audit().GetRecord(ctx, connect.NewRequest(&vigilv1.GetRecordRequest{Id: res.GetRecordId()}))
	if err != nil {
		return "", fmt.Errorf("reading record %s back: %w", res.GetRecordId(), err)
	}
	contents := got.Msg.GetRecord().GetContents()
	if len(contents) == 0 {
		return "", fmt.Errorf("record %s has no stored content", res.GetRecordId())
	}
	for _, c := range contents {
		if strings.Contains(c.GetText(), s.token) || strings.Contains(c.GetJson(), s.token) {
			return "", fmt.Errorf("record %s stores the raw token", res.GetRecordId())
		}
	}
	return fmt.Sprintf("record %s in session %s, sequence %d, findings %s",
		res.GetRecordId(), s.session, res.GetSequence(), detectors(res.GetFindings())), nil
}

func (s smoke) unreachableFailsClosed(ctx context.Context) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	closed := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		return "", err
	}
	d, err := vigil.New(closed, vigil.WithProtocol(s.protocol)).Authorize(ctx, &vigilv1.AuthorizeRequest{
		Principal: &vigilv1.Principal{Id: "alice@example.com", Kind: vigilv1.PrincipalKind_PRINCIPAL_KIND_USER},
		Action:    "secret.read",
		Resource:  &vigilv1.Resource{Kind: "secret", Id: "staging/db-password", Attributes: attrs("staging")},
	})
	if err == nil || !d.Denied() || d.Answered() {
		return "", fmt.Errorf("got %v with error %v, want an unanswered deny and an error", d, err)
	}
	return fmt.Sprintf("%v, error code %v", d, connect.CodeOf(err)), nil
}

func attrs(environment string) *structpb.Struct {
	return &structpb.Struct{Fields: map[string]*structpb.Value{"environment": structpb.NewStringValue(environment)}}
}

func hasReason(d vigil.Decision, code string) bool {
	for _, r := range d.Reasons() {
		if r.GetCode() == code {
			return true
		}
	}
	return false
}

func detectors(findings []*vigilv1.Finding) string {
	ids := make([]string, 0, len(findings))
	for _, f := range findings {
		ids = append(ids, f.GetDetectorId())
	}
	return "[" + strings.Join(ids, " ") + "]"
}

// plantedToken is a fresh, fake GitHub personal access token: "ghp_" and 36 alphanumerics.
func plantedToken() string {
	return "ghp_" + rand.Text()[:26] + strings.ToLower(rand.Text()[:10])
}
