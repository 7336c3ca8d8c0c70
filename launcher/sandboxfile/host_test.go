package sandboxfile

import (
	"reflect"
	"strings"
	"testing"
)

func TestHostSection(t *testing.T) {
	f, err := Parse("/home/ada/p/.sandbox", []byte("[Host]\nSSHAgent=no\nGitConfig=no\nDisplay=yes\nGPU=yes\nDevice=/dev/fuse /dev/kvm\nDevice=/dev/net/tun\n"), "/home/ada")
	if err != nil {
		t.Fatal(err)
	}
	h := f.Host
	if h.WantSSHAgent(true) || h.WantGitConfig() || !h.Display || !h.GPU || h.Home != "/home/ada" {
		t.Fatalf("Host = %+v", h)
	}
	if !reflect.DeepEqual(h.Devices, []string{"/dev/fuse", "/dev/kvm", "/dev/net/tun"}) {
		t.Fatalf("Devices = %v", h.Devices)
	}
	d, _ := Parse("/home/ada/p/.sandbox", nil, "/home/ada")
	if !d.Host.WantSSHAgent(true) || d.Host.WantSSHAgent(false) || !d.Host.WantGitConfig() || d.Host.Display || d.Host.GPU {
		t.Fatalf("defaults = %+v", d.Host)
	}
}

func TestDeviceRefused(t *testing.T) {
	for _, v := range []string{"/etc/shadow", "dev/fuse", "/dev/../etc/shadow", "/dev/pts/0", "/dev/a:b"} {
		_, err := Parse("/home/ada/p/.sandbox", []byte("[Host]\nDevice="+v+"\n"), "/home/ada")
		if err == nil || !strings.Contains(err.Error(), ":2:") {
			t.Errorf("Device=%s: %v", v, err)
		}
	}
	// Bind= under /dev stays refused: devices go through Device=.
	if _, err := Parse("/home/ada/p/.sandbox", []byte("[Files]\nBind=/dev/kvm\n"), "/home/ada"); err == nil {
		t.Error("Bind=/dev/kvm accepted")
	}
}

func TestGPGAgent(t *testing.T) {
	for v, want := range map[string]bool{"yes": true, "on": true, "no": false} {
		f, err := Parse("/home/ada/p/.sandbox", []byte("[Host]\nGPGAgent="+v+"\n"), "/home/ada")
		if err != nil || f.Host.GPGAgent != want {
			t.Errorf("GPGAgent=%s: %+v, %v", v, f.Host, err)
		}
	}
	if d, _ := Parse("/home/ada/p/.sandbox", nil, "/home/ada"); d.Host.GPGAgent {
		t.Error("GPGAgent is on by default")
	}
	if _, err := Parse("/home/ada/p/.sandbox", []byte("[Host]\nGPGAgent=maybe\n"), "/home/ada"); err == nil || !strings.Contains(err.Error(), ":2:") {
		t.Errorf("GPGAgent=maybe: %v", err)
	}
}
