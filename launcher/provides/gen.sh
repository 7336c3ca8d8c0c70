#!/bin/sh
# gen.sh writes commands.txt.gz: for every program in Debian's bin
# directories, the packages that ship it ("NAME PKG [PKG...]", sorted by
# NAME), from the Contents indexes of one Debian release (default: trixie,
# sbx's default release). Run by `go generate` when the release changes.
set -eu
release=${1:-trixie}
mirror=${MIRROR:-http://deb.debian.org/debian}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for arch in amd64 all; do
	curl -fsS -o "$tmp/Contents-$arch.gz" "$mirror/dists/$release/main/Contents-$arch.gz"
done
# A Contents line is "PATH SECTION/PKG[,SECTION/PKG...]"; keep programs in
# usr/bin, usr/sbin, bin and sbin, name them by their base name, and list at
# most three packages, the one named like the program first.
zcat "$tmp/Contents-amd64.gz" "$tmp/Contents-all.gz" |
	grep -E '^(usr/)?s?bin/[^/ ]+ ' |
	awk '{
		n = split($1, p, "/"); cmd = p[n]
		m = split($2, q, ",")
		for (i = 1; i <= m; i++) { k = split(q[i], r, "/"); pk[cmd, r[k]] = 1; if (!((cmd, r[k]) in seen)) { seen[cmd, r[k]] = 1; list[cmd] = list[cmd] " " r[k] } }
	}
	END {
		for (c in list) {
			m = split(list[c], ps, " "); out = ""; cnt = 0
			for (i = 1; i <= m; i++) if (ps[i] == c) { out = c; cnt = 1 }
			for (i = 1; i <= m && cnt < 3; i++) if (ps[i] != c) { out = out (out == "" ? "" : " ") ps[i]; cnt++ }
			print c, out
		}
	}' |
	LC_ALL=C sort | gzip -9n >commands.txt.gz
echo "commands.txt.gz: $(zcat commands.txt.gz | wc -l) programs from Debian $release"
