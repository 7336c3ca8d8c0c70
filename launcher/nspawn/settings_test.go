package nspawn

import (
	"strings"
	"testing"
)

func TestRenderSeedSettings(t *testing.T) {
	text, err := Render(Settings{
		Meta:     Meta{Project: "/home/a/p q", Owner: 1000, Distribution: "debian", Release: "trixie", State: StateReady},
		Hostname: "p-q-123abc",
		Binds: []Mount{
			{Host: "/home/a/p q"},
			{Host: "/usr/local/lib/sbx", ReadOnly: true},
			{Host: "/var/lib/sbx/machines/p", Guest: "/run/sbx"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"PrivateUsers=no\n", "Hostname=p-q-123abc\n", "Bind=/home/a/p q\n",
		"BindReadOnly=/usr/local/lib/sbx\n", "Bind=/var/lib/sbx/machines/p:/run/sbx\n",
		"Private=no\n", "VirtualEthernet=no\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered file lacks %q:\n%s", want, text)
		}
	}
	m, err := ParseMeta([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if m.Project != "/home/a/p q" || m.Owner != 1000 || m.State != StateReady || m.Release != "trixie" {
		t.Errorf("meta round trip: %+v", m)
	}
}

func TestBindValueEscapes(t *testing.T) {
	cases := []struct {
		m       Mount
		want    string
		wantErr bool
	}{
		{Mount{Host: "/tmp/sp test/a:b,c"}, `/tmp/sp test/a\:b,c`, false},
		{Mount{Host: `/tmp/back\slash`}, `/tmp/back\\slash`, false},
		{Mount{Host: "/a", Guest: "/b:c"}, `/a:/b\:c`, false},
		{Mount{Host: "/a", Guest: "/a"}, `/a`, false},
		{Mount{Host: "/tmp/new\nline"}, "", true},
		{Mount{Host: "relative"}, "", true},
		{Mount{Host: "/trailing "}, "", true},
	}
	for _, c := range cases {
		got, err := BindValue(c.m)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("BindValue(%+v) = %q, %v; want %q, err=%v", c.m, got, err, c.want, c.wantErr)
		}
	}
}

func TestParseMetaRejectsForeignFiles(t *testing.T) {
	if _, err := ParseMeta([]byte("[Exec]\nBoot=yes\n")); err != ErrNotSbx {
		t.Fatalf("want ErrNotSbx, got %v", err)
	}
}
