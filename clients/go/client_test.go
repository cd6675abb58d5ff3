package vigil

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	vigilv1 "github.com/vigil-dev/vigil/gen/go/vigil/v1"
)

var protocols = []Protocol{ProtocolConnect, ProtocolGRPC}

func ordinaryRead() *vigilv1.AuthorizeRequest {
	return &vigilv1.AuthorizeRequest{
		Principal: &vigilv1.Principal{Id: "alice@example.com", Kind: vigilv1.PrincipalKind_PRINCIPAL_KIND_USER},
		Action:    "secret.read",
		Resource:  &vigilv1.Resource{Kind: "secret", Id: "staging/db-password"},
	}
}

// closedPort is the URL of a local port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return url
}

func TestAuthorizeDeniesWhenVigilIsUnreachable(t *testing.T) {
	url := closedPort(t)
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			d, err := New(url, WithProtocol(p)).Authorize(context.Background(), ordinaryRead())
			if err == nil || connect.CodeOf(err) != connect.CodeUnavailable {
				t.Fatalf("err = %v, want Unavailable", err)
			}
			if !d.Denied() || d.Answered() || !errors.Is(d.Err(), err) {
				t.Fatalf("decision = %v (answered %v, err %v), want an unanswered deny", d, d.Answered(), d.Err())
			}
		})
	}
}

func TestAuthorizeAllowsWhenUnreachableOnlyWithFailOpen(t *testing.T) {
	d, err := New(closedPort(t), WithFailOpen()).Authorize(context.Background(), ordinaryRead())
	if err == nil || !d.Allowed() || d.Answered() {
		t.Fatalf("decision = %v, err = %v; want an unanswered allow and the error", d, err)
	}
}

func TestAuthorizeDeniesWhenVigilDoesNotAnswerInTime(t *testing.T) {
	// A listener that accepts connections and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held sync.WaitGroup
	t.Cleanup(func() { _ = l.Close(); held.Wait() })
	held.Go(func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	})
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			c := New("http://"+l.Addr().String(), WithProtocol(p), WithTimeout(200*time.Millisecond))
			start := time.Now()
			d, err := c.Authorize(context.Background(), ordinaryRead())
			if connect.CodeOf(err) != connect.CodeDeadlineExceeded || !d.Denied() {
				t.Fatalf("decision = %v, err = %v; want a deny and DeadlineExceeded", d, err)
			}
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Fatalf("took %v; the timeout is 200ms", elapsed)
			}
		})
	}
}

func TestTokenIsSentAsBearerAndNeverInErrors(t *testing.T) {
	const token = "vgl_test-token-value"
	var got string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(server.Close)
	d, err := New(server.URL, WithToken(token)).Authorize(context.Background(), ordinaryRead())
	if got != "Bearer "+token {
		t.Fatalf("Authorization = %q, want the bearer token", got)
	}
	if err == nil || !d.Denied() {
		t.Fatalf("decision = %v, err = %v; want a deny and the error", d, err)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(d.String(), token) {
		t.Fatalf("the token leaked into %q", err)
	}
}

func TestNewFromEnvReadsServerAndToken(t *testing.T) {
	var got string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	t.Cleanup(server.Close)
	t.Setenv("VIGIL_SERVER", server.URL)
	t.Setenv("VIGIL_TOKEN", "vgl_from-env")
	if _, err := NewFromEnv().Authorize(context.Background(), ordinaryRead()); err == nil {
		t.Fatal("want the server's error")
	}
	if got != "Bearer vgl_from-env" {
		t.Fatalf("Authorization = %q, want the token from VIGIL_TOKEN", got)
	}
}

func TestRedactAndRecordReturnNothingWhenVigilIsUnreachable(t *testing.T) {
	c := New(closedPort(t))
	redaction, err := c.Redact(context.Background(), "token ghp_x", vigilv1.ContentKind_CONTENT_KIND_PROMPT)
	if err == nil || redaction != nil {
		t.Fatalf("Redact = %v, %v; want nil and an error", redaction, err)
	}
	record, err := c.Record(context.Background(), &vigilv1.RecordEvent{})
	if err == nil || record != nil {
		t.Fatalf("Record = %v, %v; want nil and an error", record, err)
	}
}
