package cli

import (
	"context"

	"github.com/sbxdev/sbx/launcher/agent"
)

// pingAgent checks that the machine's agent answers, which it does once the
// guest's system manager has booted.
var pingAgent = func(ctx context.Context, sock string) error {
	_, err := agent.Ping(ctx, sock)
	return err
}
