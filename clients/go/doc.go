// Package vigil is a thin client for Vigil, the policy decision service that proxies, CI jobs and
// agent runtimes consult before they forward a secret-bearing request.
//
// It wraps the connect-go clients generated from proto/vigil/v1 with the three calls an
// enforcement point makes: [Client.Authorize], [Client.Redact] and [Client.Record]. Authorize
// fails closed: when Vigil cannot be reached or answers with an error, the [Decision] it returns
// is a deny, and the error is returned beside it (unless the caller opted into [WithFailOpen]).
//
//	c := vigil.New("http://127.0.0.1:8444")
//	d, err := c.Authorize(ctx, req)
//	if !d.Allowed() {
//		return fmt.Errorf("vigil: %s: %w", d.Reasons(), err)
//	}
//
// Every other RPC is reachable through the generated clients [Client.Policy], [Client.Audit],
// [Client.Approvals] and [Client.PolicyAdmin], which share the client's HTTP client, protocol,
// token and timeout.
package vigil
