// Command vigil-smoke checks the Go client against a running Vigil server with the bundled
// policy: a deny, an allow, a redaction, a recorded event and failing closed, over gRPC and
// Connect. It prints one line per check and exits 1 if any fails (2 for bad usage).
//
//	VIGIL_SERVER=http://127.0.0.1:8444 go run ./cmd/vigil-smoke
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	vigil "github.com/vigil-dev/vigil/clients/go"
)

func main() {
	server := flag.String("server", os.Getenv("VIGIL_SERVER"), "Vigil base URL (default $VIGIL_SERVER)")
	session := flag.String("session", fmt.Sprintf("go-smoke-%d", time.Now().UnixNano()),
		"session id of the recorded events")
	protocols := flag.String("protocols", "grpc,connect", "comma-separated protocols to check")
	flag.Parse()
	if *server == "" {
		fmt.Fprintln(os.Stderr, "vigil-smoke: set VIGIL_SERVER or -server to the server's base URL")
		os.Exit(2)
	}
	var chosen []vigil.Protocol
	for name := range strings.SplitSeq(*protocols, ",") {
		switch strings.TrimSpace(name) {
		case "grpc":
			chosen = append(chosen, vigil.ProtocolGRPC)
		case "connect":
			chosen = append(chosen, vigil.ProtocolConnect)
		default:
			fmt.Fprintf(os.Stderr, "vigil-smoke: unknown protocol %q (want grpc or connect)\n", name)
			os.Exit(2)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	token := plantedToken()
	failed := 0
	for _, p := range chosen {
		s := smoke{client: vigil.New(*server, vigil.WithProtocol(p)), protocol: p, session: *session, token: token}
		for _, c := range s.checks() {
			detail, err := c.run(ctx)
			if err != nil {
				failed++
				fmt.Printf("FAIL %-8s %s: %v\n", p, c.name, err)
				continue
			}
			fmt.Printf("ok   %-8s %s: %s\n", p, c.name, detail)
		}
	}
	if failed > 0 {
		fmt.Printf("vigil-smoke: %d check(s) failed\n", failed)
		os.Exit(1)
	}
	fmt.Printf("vigil-smoke: all checks passed against %s\n", *server)
}
