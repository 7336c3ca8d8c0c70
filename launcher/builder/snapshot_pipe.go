package builder

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Flags for GNU tar, on both sides, so a tree comes back exactly as it
// was: numeric owners (the archive may cross hosts with other user
// databases), extended attributes (file capabilities such as ping's) and
// ACLs, which need the POSIX (pax) format.
var (
	tarCreateFlags  = []string{"--create", "--format=posix", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls", "--one-file-system"}
	tarExtractFlags = []string{"--extract", "--numeric-owner", "--same-owner", "--same-permissions", "--xattrs", "--xattrs-include=*", "--acls"}
)

// tarCreate is the argv of a tar writing the tree at dir to its stdout.
func tarCreate(dir string) []string {
	return append(append([]string{"tar"}, tarCreateFlags...), "--file=-", "--directory="+dir, ".")
}

// tarExtract is the argv of a tar unpacking its stdin into dir.
func tarExtract(dir string) []string {
	return append(append([]string{"tar"}, tarExtractFlags...), "--file=-", "--directory="+dir)
}

// compressor is an external compression tool and the suffix of its files.
type compressor struct {
	Name   string // zstd, gzip
	Suffix string // ".tar.zst"
	Pack   []string
	Unpack []string
}

var (
	zstdTool = compressor{Name: "zstd", Suffix: ".tar.zst", Pack: []string{"zstd", "-q", "-T0", "-3", "-c"}, Unpack: []string{"zstd", "-q", "-d", "-c"}}
	gzipTool = compressor{Name: "gzip", Suffix: ".tar.gz", Pack: []string{"gzip", "-c", "-3"}, Unpack: []string{"gzip", "-d", "-c"}}
)

// pickCompressor prefers zstd (several times faster than gzip at a
// similar ratio) and falls back to gzip, which every Debian system has.
func pickCompressor() compressor {
	if _, err := exec.LookPath("zstd"); err == nil {
		return zstdTool
	}
	return gzipTool
}

// compressorNamed returns the tool for a name used in arguments.
func compressorNamed(name string) (compressor, bool) {
	switch name {
	case "zstd":
		return zstdTool, true
	case "gzip":
		return gzipTool, true
	}
	return compressor{}, false
}

// needTool fails with an installation hint when a tool is missing.
func needTool(name string) error {
	if _, err := exec.LookPath(name); err != nil {
		return failf(125, "install it on the host: sudo apt-get install "+name, "%s is not installed", name)
	}
	return nil
}

// meter counts the bytes a long copy has moved and reports them as Log
// events, at most a few times a second, so the CLI can show progress.
type meter struct {
	r     *Reporter
	verb  string
	total int64 // 0: unknown
	done  atomic.Int64
	mu    sync.Mutex
	last  time.Time
}

func newMeter(r *Reporter, verb string, total int64) *meter {
	return &meter{r: r, verb: verb, total: total}
}

func (m *meter) add(n int) {
	d := m.done.Add(int64(n))
	m.mu.Lock()
	defer m.mu.Unlock()
	if time.Since(m.last) < 250*time.Millisecond {
		return
	}
	m.last = time.Now()
	m.r.Log(m.line(d))
}

// finish reports the final count.
func (m *meter) finish() { m.r.Log(m.line(m.done.Load())) }

func (m *meter) line(d int64) string {
	if m.total > 0 {
		pct := min(100, d*100/m.total)
		return fmt.Sprintf("%s %s of %s (%d%%)", m.verb, SizeString(d), SizeString(m.total), pct)
	}
	return fmt.Sprintf("%s %s", m.verb, SizeString(d))
}

// Write counts p: a meter is the second side of a tee or a multi-writer.
func (m *meter) Write(p []byte) (int, error) {
	m.add(len(p))
	return len(p), nil
}

// reader counts what is read through it.
func (m *meter) reader(r io.Reader) io.Reader { return io.TeeReader(r, m) }

// writer counts what is written through it (what w took).
func (m *meter) writer(w io.Writer) io.Writer { return io.MultiWriter(w, m) }

// SizeString is a byte count for people (decimal units, like du -h --si).
func SizeString(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for q := n / unit; q >= unit; q /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// tool is one process of a pipeline whose stderr is kept for the message
// when it fails.
type tool struct {
	cmd    *exec.Cmd
	stderr tailBuffer
}

// newTool prepares argv; the whole process group is ended with ctx.
func newTool(ctx context.Context, argv ...string) *tool {
	t := &tool{cmd: exec.CommandContext(ctx, argv[0], argv[1:]...)}
	t.cmd.Env = baseEnv()
	t.cmd.Stderr = &t.stderr
	t.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.cmd.Cancel = func() error { return syscall.Kill(-t.cmd.Process.Pid, syscall.SIGKILL) }
	t.cmd.WaitDelay = 10 * time.Second
	return t
}

// wait waits for the tool and words its failure.
func (t *tool) wait() error {
	if err := t.cmd.Wait(); err != nil {
		msg := strings.TrimSpace(t.stderr.String())
		if msg != "" {
			return fmt.Errorf("%s failed (%v): %s", t.cmd.Args[0], err, msg)
		}
		return fmt.Errorf("%s failed: %w", t.cmd.Args[0], err)
	}
	return nil
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if extra := b.buf.Len() - 4096; extra > 0 {
		b.buf.Next(extra)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// pipeline runs [producer |] filter [| consumer]: an optional tool whose
// stdout the filter reads (else the filter reads stdin directly), the
// filter in Go, and an optional tool reading what the filter writes (else
// the filter writes stdout directly). On a failure the stages are ended
// and the error of the stage where it began is returned.
type pipeline struct {
	stdin    io.Reader // the producer's stdin, or the filter's source
	producer []string
	filter   func(dst io.Writer, src io.Reader) error
	consumer []string
	stdout   io.Writer // the consumer's stdout, or the filter's sink
}

func (p pipeline) run(ctx context.Context) error {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var prod, cons *tool
	src, dst := p.stdin, p.stdout
	var prodOut io.ReadCloser
	var consIn io.WriteCloser
	if p.consumer != nil {
		cons = newTool(pctx, p.consumer...)
		cons.cmd.Stdout = p.stdout
		var err error
		if consIn, err = cons.cmd.StdinPipe(); err != nil {
			return err
		}
		if err := cons.cmd.Start(); err != nil {
			return fmt.Errorf("starting %s: %w", p.consumer[0], err)
		}
		dst = consIn
	}
	if p.producer != nil {
		prod = newTool(pctx, p.producer...)
		prod.cmd.Stdin = p.stdin
		var err error
		if prodOut, err = prod.cmd.StdoutPipe(); err == nil {
			err = prod.cmd.Start()
		}
		if err != nil {
			cancel()
			if cons != nil {
				cons.cmd.Wait() // best effort: it was killed
			}
			return fmt.Errorf("starting %s: %w", p.producer[0], err)
		}
		src = prodOut
	}
	rd := &errReader{r: src}
	wr := &errWriter{w: dst}
	ferr := p.filter(wr, rd)
	if prodOut != nil {
		if ferr == nil {
			io.Copy(io.Discard, prodOut) // best effort: the padding after the archive's end
		}
		prodOut.Close() // a producer still writing gets EPIPE and ends
	}
	if consIn != nil {
		consIn.Close() // the consumer sees the end of its input
	}
	var perr, cerr error
	if prod != nil {
		perr = prod.wait()
	}
	if cons != nil {
		cerr = cons.wait()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch {
	case wr.err != nil: // the consumer (or the file) went first
		return cmp.Or(cerr, ferr)
	case rd.err != nil: // the producer (or the source) went first
		return cmp.Or(perr, ferr)
	case ferr != nil:
		return ferr
	}
	return cmp.Or(perr, cerr)
}

// errReader and errWriter remember the first I/O error of their side, to
// tell which stage of a pipeline failed first.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

// copyFilter is the filter of a pipeline that only moves bytes, counted.
func copyFilter(m *meter) func(dst io.Writer, src io.Reader) error {
	return func(dst io.Writer, src io.Reader) error {
		_, err := io.Copy(m.writer(dst), src)
		return err
	}
}

// plainCopy is the filter of a pipeline counted elsewhere.
func plainCopy(dst io.Writer, src io.Reader) error {
	_, err := io.Copy(dst, src)
	return err
}
