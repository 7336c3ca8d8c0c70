package agent

import "crypto/sha1"

// The host's gpg-agent inside a machine ([Host] GPGAgent=yes). gpg takes
// no socket path from the environment: it connects to S.gpg-agent in its
// socket directory, which for a home other than ~/.gnupg is
// /run/user/UID/gnupg/d.HASH. A regular file there that says
// "%Assuan%\nsocket=PATH\n" redirects the connection (libassuan), and
// PATH may name variables as ${VAR}. So every command with GPGAgent=yes
// gets GNUPGHOME=GPGHome (the host's public keyring, copied there by the
// CLI), its own relay to the host's extra socket in GPGAgentVar, and the
// agent makes sure the one static redirect file is in place. Concurrent
// commands each reach their own relay; the guest's own ~/.gnupg and its
// socket-activated agent are not touched, and GPGAgent=no is just the
// absence of both variables.
const (
	// GPGHome is the GNUPGHOME of commands with GPGAgent=yes: a directory
	// in the machine's runtime directory (bound at /run/sbx).
	GPGHome = "/run/sbx/gnupg"
	// GPGAgentVar names the variable that holds the command's relay socket.
	GPGAgentVar = "SBX_GPG_AGENT"
	// GPGRedirect is the content of the redirect file.
	GPGRedirect = "%Assuan%\nsocket=${" + GPGAgentVar + "}\n"
)

// gpgSocketSubdir is the directory under /run/user/UID/gnupg that gpg
// uses for the home dir home: "d." and the z-base-32 form of the first
// 15 bytes of its SHA-1 (GnuPG's common/homedir.c).
func gpgSocketSubdir(home string) string {
	sum := sha1.Sum([]byte(home))
	return "d." + zbase32(sum[:15])
}

// zbase32 encodes b (a multiple of 5 bytes) as GnuPG's zb32_encode does.
func zbase32(b []byte) string {
	const alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769"
	out := make([]byte, 0, len(b)*8/5)
	var acc uint64
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint64(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, alphabet[(acc>>uint(bits))&31])
		}
	}
	return string(out)
}
