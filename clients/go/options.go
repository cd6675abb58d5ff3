package vigil

import (
	"net/http"
	"time"
)

// Protocol is the wire protocol a [Client] speaks. Vigil serves all of them on one port.
type Protocol int

const (
	// ProtocolConnect is the Connect protocol, over HTTP/1.1 or HTTP/2. The default.
	ProtocolConnect Protocol = iota
	// ProtocolGRPC is gRPC, over HTTP/2 (h2c for http:// URLs, negotiated by TLS for https://).
	ProtocolGRPC
)

// String names the protocol, e.g. "connect" or "grpc".
func (p Protocol) String() string {
	switch p {
	case ProtocolConnect:
		return "connect"
	case ProtocolGRPC:
		return "grpc"
	default:
		return "unknown"
	}
}

// DefaultTimeout bounds each unary call unless [WithTimeout] says otherwise.
const DefaultTimeout = 5 * time.Second

// Option configures a [Client] built by [New].
type Option func(*config)

type config struct {
	httpClient *http.Client
	token      string
	timeout    time.Duration
	protocol   Protocol
	failOpen   bool
}

// WithHTTPClient sets the HTTP client, e.g. one with a TLS configuration or a proxy. Default: a
// clone of [http.DefaultTransport] for [ProtocolConnect] (HTTP/1.1, or HTTP/2 where TLS
// negotiates it), and the same restricted to HTTP/2 (h2c for http:// URLs) for [ProtocolGRPC].
// A client given here must speak HTTP/2 for gRPC.
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) { cfg.httpClient = c }
}

// WithToken sends `Authorization: Bearer <token>` on every call (a Vigil API token). Default:
// no token, so calls are anonymous.
func WithToken(token string) Option {
	return func(cfg *config) { cfg.token = token }
}

// WithTimeout bounds each unary call, on top of any deadline the caller's context carries; zero
// or less means no bound beyond the context. Default: [DefaultTimeout]. Streaming calls (e.g.
// WatchApproval) are never bounded by it.
func WithTimeout(d time.Duration) Option {
	return func(cfg *config) { cfg.timeout = d }
}

// WithProtocol picks the wire protocol. Default: [ProtocolConnect].
func WithProtocol(p Protocol) Option {
	return func(cfg *config) { cfg.protocol = p }
}

// WithFailOpen makes [Client.Authorize] allow when Vigil cannot be reached or times out
// (codes Unavailable and DeadlineExceeded). Any other error (a rejected request, a missing
// permission, a cancelled context) still denies. The error is returned either way. Default:
// off, so Vigil's rule holds: no answer means deny.
func WithFailOpen() Option {
	return func(cfg *config) { cfg.failOpen = true }
}
