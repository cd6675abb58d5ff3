// The Go client (clients/go) and its generated code (gen/go) in one module, so
// `go get github.com/vigil-dev/vigil/clients/go` works and buf's clean of gen/ keeps no
// module files of its own to lose.
module github.com/vigil-dev/vigil

go 1.26.0

ignore ./node_modules

require (
	connectrpc.com/connect v1.21.1
	google.golang.org/protobuf v1.36.12
)
