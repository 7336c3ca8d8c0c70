package agent

// SessionPAMService is the PAM service the agent opens the user's login
// session with (see usersession_linux.go); the builder writes
// SessionPAMConfig to SessionPAMFile in every machine.
const (
	SessionPAMService = "sbx"
	SessionPAMFile    = "/etc/pam.d/" + SessionPAMService
)

// SessionPAMConfig is SessionPAMFile: the account checks of a login and a
// session registered with logind. No auth stack: nobody logs in, the
// agent (root) opens the session for the machine's owner, as su from root
// would. pam_systemd is named here rather than through common-session so
// the session does not depend on pam-auth-update's state.
const SessionPAMConfig = `#%PAM-1.0
# sbx: the login session sbx run and sbx shell commands join (opened by
# the sbx agent as the unit sbx-session-UID.service). Written by sbx.
@include common-account
session	required	pam_unix.so
session	required	pam_systemd.so
`
