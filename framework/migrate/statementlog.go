package migrate

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/pressly/goose/v3"
)

// StatementLog remembers the statement goose ran last, so a failed
// migration can be reported with the statement that failed. It is a
// slog.Handler fed by goose's verbose log.
type StatementLog struct {
	mu   sync.Mutex
	last string
}

// Options returns the goose provider options that feed the log.
func (l *StatementLog) Options() []goose.ProviderOption {
	return []goose.ProviderOption{goose.WithVerbose(true), goose.WithSlog(slog.New(l))}
}

// Explain is [Explain] with the failed statement appended when known.
func (l *StatementLog) Explain(err error) error {
	if err == nil {
		return nil
	}
	err = Explain(err)
	l.mu.Lock()
	stmt := l.last
	l.mu.Unlock()
	if stmt == "" {
		return err
	}
	return fmt.Errorf("%w\nwhile running:\n    %s", err, strings.ReplaceAll(strings.TrimSpace(stmt), "\n", "\n    "))
}

// Enabled implements slog.Handler.
func (l *StatementLog) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler: it keeps the "statement" attribute.
func (l *StatementLog) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "statement" {
			l.mu.Lock()
			l.last = a.Value.String()
			l.mu.Unlock()
		}
		return true
	})
	return nil
}

// WithAttrs implements slog.Handler.
func (l *StatementLog) WithAttrs([]slog.Attr) slog.Handler { return l }

// WithGroup implements slog.Handler.
func (l *StatementLog) WithGroup(string) slog.Handler { return l }

var _ slog.Handler = (*StatementLog)(nil)
