package builder

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"sync"
)

// Event is one line the privileged helper writes for the CLI.
type Event struct {
	Phase string `json:"phase,omitempty"` // a new step begins
	Log   string `json:"log,omitempty"`   // a line of a tool's output
	Out   string `json:"out,omitempty"`   // a line of a Setup= command (always shown)
	Info  string `json:"info,omitempty"`  // a result line for the user
	Error string `json:"error,omitempty"` // the step failed
	Hint  string `json:"hint,omitempty"`  // what to do about Error
	Code  int    `json:"code,omitempty"`  // exit status to use for Error
	Done  bool   `json:"done,omitempty"`  // the operation finished successfully
	// NextStart lists changes applied to the settings that take effect
	// only when the machine starts again ("Private=yes", "Bind= +/x").
	NextStart []string `json:"next_start,omitempty"`
	// Result is an operation's typed result, for the CLI to use (not to
	// show): never cut out of a text line.
	Result *Result `json:"result,omitempty"`
}

// Result is what an operation hands back besides success.
type Result struct {
	Machine string `json:"machine,omitempty"` // import: the machine's name
	Size    int64  `json:"size,omitempty"`    // du: bytes of the tree
}

// Reporter writes events; safe for concurrent use. Writes are best effort:
// the CLI may be gone (killed), and the work should still finish.
type Reporter struct {
	mu  sync.Mutex
	enc *json.Encoder
	// Journal, when set, gets each event as a line of text too: the
	// helper's stderr is the journal, so `journalctl -u UNIT` holds the
	// whole log the CLI's errors point at.
	Journal io.Writer
}

// NewReporter writes events to w.
func NewReporter(w io.Writer) *Reporter { return &Reporter{enc: json.NewEncoder(w)} }

// Send writes one event.
func (r *Reporter) Send(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.enc.Encode(e) // best effort
	if r.Journal != nil {
		if line := e.text(); line != "" {
			io.WriteString(r.Journal, line+"\n") // best effort
		}
	}
}

// text is the event as one line of a log.
func (e Event) text() string {
	switch {
	case e.Phase != "":
		return "== " + e.Phase
	case e.Log != "":
		return e.Log
	case e.Out != "":
		return e.Out
	case e.Info != "":
		return e.Info
	case e.Error != "":
		if e.Hint != "" {
			return "error: " + e.Error + " (" + e.Hint + ")"
		}
		return "error: " + e.Error
	case len(e.NextStart) > 0:
		return "at the next start: " + strings.Join(e.NextStart, "; ")
	case e.Done:
		return "done"
	}
	return ""
}

// Phase announces a step.
func (r *Reporter) Phase(s string) { r.Send(Event{Phase: s}) }

// Log forwards a tool's output line.
func (r *Reporter) Log(s string) { r.Send(Event{Log: s}) }

// ReadEvents calls fn for each event on r until EOF. Lines that are not
// events (e.g. a panic trace) arrive as Log events.
func ReadEvents(r io.Reader, fn func(Event)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			e = Event{Log: sc.Text()}
		}
		fn(e)
	}
	return sc.Err()
}
