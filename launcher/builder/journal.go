package builder

import (
	"io"
	"net"
	"strings"
)

// journalSocket is journald's native protocol socket.
const journalSocket = "/run/systemd/journal/socket"

// journalWriter sends each line written to it to the journal as one
// entry. journald attributes entries to the sender's unit, so the
// helper's log shows in `journalctl -u sbx-create-NAME` (a transient
// unit's stdout and stderr are the CLI's pipe, which the journal never
// sees).
type journalWriter struct{ conn *net.UnixConn }

// OpenJournal connects to the journal, or returns nil when there is none.
func OpenJournal() io.Writer {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: journalSocket, Net: "unixgram"})
	if err != nil {
		return nil
	}
	return &journalWriter{conn: conn}
}

// maxJournalLine keeps an entry within one datagram.
const maxJournalLine = 32 << 10

func (j *journalWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if len(line) > maxJournalLine {
			line = line[:maxJournalLine]
		}
		// Field values without a line break can use the simple form.
		msg := "SYSLOG_IDENTIFIER=sbx\nPRIORITY=6\nMESSAGE=" + line + "\n"
		if _, err := j.conn.Write([]byte(msg)); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
