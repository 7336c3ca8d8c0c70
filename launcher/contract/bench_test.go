package contract

import (
	"testing"

	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

// BenchmarkInLineCheck is what sbx run adds to its fast path once the
// .nspawn is read: decode the record, build the wanted one from the
// parsed .sandbox, compare the hashes.
func BenchmarkInLineCheck(b *testing.B) {
	f, err := sandboxfile.Parse("/home/ada/proj/.sandbox", []byte("[Machine]\nPackages=build-essential git\n[Exec]\nSetup=sh -c 'echo hi'\n[Files]\nBind=~/data\n"), "/home/ada")
	if err != nil {
		b.Fatal(err)
	}
	stored := FromFile(f).Want().Encode()
	for b.Loop() {
		rec, err := ParseRecord(stored)
		if err != nil || rec.Sum() != FromFile(f).Want().Sum() {
			b.Fatal("not in line")
		}
	}
}
