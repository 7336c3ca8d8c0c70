package contract

import (
	"testing"

	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

// BenchmarkFromFileHost is what [Host] adds to comparing a machine with its
// .sandbox on every use: the stats of ~/.gitconfig and ~/.config/git.
func BenchmarkFromFileHost(b *testing.B) {
	f, err := sandboxfile.Parse("/home/ada/p/.sandbox", nil, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		_ = FromFile(f).Want().Sum()
	}
}
