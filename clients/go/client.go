package vigil

import (
	"net/http"
	"os"

	"connectrpc.com/connect"

	"github.com/vigil-dev/vigil/gen/go/vigil/v1/vigilv1connect"
)

// Client calls one Vigil server. It is safe for concurrent use; make one and share it.
type Client struct {
	policy      vigilv1connect.PolicyServiceClient
	audit       vigilv1connect.AuditServiceClient
	approvals   vigilv1connect.ApprovalServiceClient
	policyAdmin vigilv1connect.PolicyAdminServiceClient
	failOpen    bool
}

// New returns a client for the Vigil server at baseURL, e.g. "http://127.0.0.1:8444". It does
// not connect until the first call.
func New(baseURL string, opts ...Option) *Client {
	cfg := config{timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&cfg)
	}
	httpClient := cfg.httpClient
	if httpClient == nil {
		httpClient = defaultHTTPClient(cfg.protocol)
	}
	clientOpts := []connect.ClientOption{
		connect.WithInterceptors(callInterceptor{token: cfg.token, timeout: cfg.timeout}),
	}
	if cfg.protocol == ProtocolGRPC {
		clientOpts = append(clientOpts, connect.WithGRPC())
	}
	return &Client{
		policy:      vigilv1connect.NewPolicyServiceClient(httpClient, baseURL, clientOpts...),
		audit:       vigilv1connect.NewAuditServiceClient(httpClient, baseURL, clientOpts...),
		approvals:   vigilv1connect.NewApprovalServiceClient(httpClient, baseURL, clientOpts...),
		policyAdmin: vigilv1connect.NewPolicyAdminServiceClient(httpClient, baseURL, clientOpts...),
		failOpen:    cfg.failOpen,
	}
}

// DefaultServer is the address [NewFromEnv] uses when VIGIL_SERVER is unset: where
// `vigil serve` listens by default.
const DefaultServer = "http://127.0.0.1:8444"

// NewFromEnv is [New] configured like the vigil CLI: the server from VIGIL_SERVER (default
// [DefaultServer]) and, when VIGIL_TOKEN is set, that bearer token. Options given here apply
// after those, so they win.
func NewFromEnv(opts ...Option) *Client {
	baseURL := os.Getenv("VIGIL_SERVER")
	if baseURL == "" {
		baseURL = DefaultServer
	}
	var fromEnv []Option
	if token := os.Getenv("VIGIL_TOKEN"); token != "" {
		fromEnv = append(fromEnv, WithToken(token))
	}
	return New(baseURL, append(fromEnv, opts...)...)
}

// Policy is the generated PolicyService client, for calls the helpers do not cover (JSON
// content, RedactStream, RecordStream).
func (c *Client) Policy() vigilv1connect.PolicyServiceClient { return c.policy }

// Audit is the generated AuditService client: query, export and verify the audit trail.
func (c *Client) Audit() vigilv1connect.AuditServiceClient { return c.audit }

// Approvals is the generated ApprovalService client: list, decide and watch approvals.
func (c *Client) Approvals() vigilv1connect.ApprovalServiceClient { return c.approvals }

// PolicyAdmin is the generated PolicyAdminService client: the active policy bundle's status.
func (c *Client) PolicyAdmin() vigilv1connect.PolicyAdminServiceClient { return c.policyAdmin }

// defaultHTTPClient speaks what the protocol needs: gRPC requires HTTP/2, which over http://
// means h2c with prior knowledge; Connect works over HTTP/1.1 and HTTP/2 alike.
func defaultHTTPClient(p Protocol) *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if p == ProtocolGRPC {
		var protocols http.Protocols
		protocols.SetHTTP2(true)
		protocols.SetUnencryptedHTTP2(true)
		transport.Protocols = &protocols
	}
	return &http.Client{Transport: transport}
}
