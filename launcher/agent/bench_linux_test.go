package agent

import (
	"context"
	"testing"
)

// BenchmarkRunTrue is the latency of `sbx run true` minus process start-up
// of sbx itself: connect, request, fork/exec in the agent, exit status.
func BenchmarkRunTrue(b *testing.B) {
	sock, _ := startServerB(b)
	for b.Loop() {
		if code, err := Run(context.Background(), sock, Request{Argv: []string{"/bin/true"}}, Stdio{}); code != 0 || err != nil {
			b.Fatalf("true: %d, %v", code, err)
		}
	}
}
