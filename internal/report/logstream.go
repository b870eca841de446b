package report

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/fail"
)

// LogStream is stderr under --log-format json (docs/output.md "stderr"):
// every line written to it becomes one JSON object, {"time", "level",
// "msg"}, the shape of the log records beside them. "stella: " is left out
// of msg; a "warning: " prefix makes the level WARN; the indented lines
// that continue a message (an excerpt, a list) keep its level. It is the
// json form of the stream Escaping makes for text.
type LogStream struct {
	mu   sync.Mutex
	w    io.Writer // the stream itself, where the records are written
	log  *slog.Logger
	buf  []byte
	last slog.Level
}

// NewLogStream returns the json stderr writing to w.
func NewLogStream(w io.Writer) *LogStream {
	return &LogStream{w: w, log: slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

// Stderr returns stderr w in the form --log-format names and the logger
// at level that writes there (docs/output.md "stderr"): json, a LogStream
// (w when it is one already); else w escaping what messages quote from
// inputs (Escaping). An unknown level or format is an error; the stream
// returned with it is still the one to write the error on.
func Stderr(w io.Writer, format, level string) (io.Writer, *slog.Logger, error) {
	j, ok := w.(*LogStream)
	if !ok && format == "json" {
		j = NewLogStream(w)
		w = j
	} else if !ok {
		w = Escaping(w)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return w, nil, fail.New(fail.Invalid, "unknown --log-level %q", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return w, slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return w, slog.New(j.Handler(opts)), nil
	}
	return w, nil, fail.New(fail.Invalid, "unknown --log-format %q (want text or json)", format)
}

// CommandError writes on stderr the error a command ended with, last: on
// log (--log-format json; nil for text) a record with its exit code, else
// ErrorLine, escaped. A command that wrote its own diagnostics
// (fail.Reported), or none, adds nothing; log is flushed either way.
func CommandError(stderr io.Writer, log *LogStream, err error) {
	if err != nil && !fail.IsReported(err) {
		if log != nil {
			log.Flush()
			log.Record(slog.LevelError, oneLine(err.Error()), "exitCode", fail.Code(err))
		} else {
			ErrorLine(Escaping(stderr), err)
		}
	}
	if log != nil {
		log.Flush()
	}
}

// ErrorLine writes err as stderr shows an error: "stella: " and its
// message on one line.
func ErrorLine(w io.Writer, err error) {
	fmt.Fprintf(w, "stella: %s\n", oneLine(err.Error()))
}

// oneLine joins the non-blank lines of an error message with "; " (cobra's
// "unknown command … Did you mean this?" has blank lines and tabs).
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// Handler is the handler of the log records written beside the lines.
func (j *LogStream) Handler(opts *slog.HandlerOptions) slog.Handler {
	return slog.NewJSONHandler(j.w, opts)
}

func (j *LogStream) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf = append(j.buf, p...)
	for {
		i := bytes.IndexByte(j.buf, '\n')
		if i < 0 {
			break
		}
		j.line(string(j.buf[:i]))
		j.buf = j.buf[i+1:]
	}
	return len(p), nil
}

// Flush writes a last line that has no newline.
func (j *LogStream) Flush() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.buf) > 0 {
		j.line(string(j.buf))
		j.buf = nil
	}
}

func (j *LogStream) line(l string) {
	l = strings.TrimRight(l, "\r")
	if strings.TrimSpace(l) == "" {
		return
	}
	lvl, msg := slog.LevelInfo, strings.TrimPrefix(l, "stella: ")
	switch {
	case l[0] == ' ' || l[0] == '\t':
		lvl = j.last
	case strings.HasPrefix(msg, "warning: "):
		lvl, msg = slog.LevelWarn, strings.TrimPrefix(msg, "warning: ")
	case strings.HasPrefix(msg, "error: "):
		lvl, msg = slog.LevelError, strings.TrimPrefix(msg, "error: ")
	}
	j.last = lvl
	j.log.Log(context.Background(), lvl, msg)
}

// Record writes one object with attributes (the final error, a
// diagnostic).
func (j *LogStream) Record(lvl slog.Level, msg string, attrs ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.log.Log(context.Background(), lvl, msg, attrs...)
}

// Diagnostics renders compiler diagnostics on stderr w: file:line:col:
// message with the source line and a caret (dsl.Render), or on a LogStream
// one object per diagnostic with its file, line, col, severity and code.
func Diagnostics(w io.Writer, ds []dsl.Diagnostic, src []byte) error {
	j, ok := w.(*LogStream)
	if !ok {
		return dsl.Render(w, ds, src)
	}
	for _, d := range ds {
		lvl := slog.LevelInfo
		switch d.Severity {
		case dsl.Error, dsl.Blocking:
			lvl = slog.LevelError
		case dsl.Warning:
			lvl = slog.LevelWarn
		}
		j.Record(lvl, d.Msg, "file", d.File, "line", d.Pos.Line, "col", d.Pos.Col, "severity", string(d.Severity), "code", d.Code)
	}
	return nil
}
