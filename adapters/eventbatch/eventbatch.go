// Package eventbatch is a batched, asynchronous writer of the OpenID
// Provider's high-volume protocol events (ports.OIDCEventSink over a
// ports.OIDCEventLog). A request hands its event to a bounded buffer and
// goes on; one goroutine writes the buffer in one transaction every
// Interval or every MaxBatch events, and once more on Close.
//
// Durability: events still in the buffer when the process crashes (at
// most one flush interval's worth, 150 ms by default) are lost; a graceful
// shutdown (Close) writes them. Security-relevant events never come here:
// they are written to the hash-chained audit log synchronously. When the
// buffer is full the caller writes its event itself, synchronously, so no
// event is dropped and no request waits for long under a burst.
package eventbatch

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/ports"
)

// Options tune the writer. Zero values take the defaults.
type Options struct {
	// Buffer is how many events may wait (8192).
	Buffer int
	// Interval is the longest an event waits before it is written (150 ms).
	Interval time.Duration
	// MaxBatch writes at once when this many events wait (1000).
	MaxBatch int
	// Logger reports failed writes (counts only; events carry no tokens).
	Logger *slog.Logger
}

// Writer batches events. Record is safe for concurrent use.
type Writer struct {
	log ports.OIDCEventLog
	o   Options
	ch  chan oidc.Event

	mu     sync.RWMutex
	closed bool
	stop   chan struct{}
	done   chan struct{}

	written, syncWrites, failed atomic.Int64
}

var _ ports.OIDCEventSink = (*Writer)(nil)

// New starts a writer over log.
func New(log ports.OIDCEventLog, o Options) *Writer {
	if o.Buffer <= 0 {
		o.Buffer = 8192
	}
	if o.Interval <= 0 {
		o.Interval = 150 * time.Millisecond
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	w := &Writer{log: log, o: o, ch: make(chan oidc.Event, o.Buffer), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// Record queues e; with the buffer full (or the writer closed) it writes
// e synchronously instead.
func (w *Writer) Record(ctx context.Context, e oidc.Event) {
	w.mu.RLock()
	if !w.closed {
		select {
		case w.ch <- e:
			w.mu.RUnlock()
			return
		default:
		}
	}
	w.mu.RUnlock()
	w.syncWrites.Add(1)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	w.write(ctx, []oidc.Event{e})
}

func (w *Writer) write(ctx context.Context, batch []oidc.Event) {
	if err := w.log.AppendOIDCEvents(ctx, batch); err != nil {
		w.failed.Add(int64(len(batch)))
		w.o.Logger.Warn("oidc events not written", "count", len(batch), "error", err.Error())
		return
	}
	w.written.Add(int64(len(batch)))
}

func (w *Writer) loop() {
	defer close(w.done)
	batch := make([]oidc.Event, 0, w.o.MaxBatch)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		w.write(ctx, batch)
		cancel()
		batch = make([]oidc.Event, 0, w.o.MaxBatch)
	}
	t := time.NewTicker(w.o.Interval)
	defer t.Stop()
	for {
		select {
		case e := <-w.ch:
			batch = append(batch, e)
			if len(batch) >= w.o.MaxBatch {
				flush()
			}
		case <-t.C:
			flush()
		case <-w.stop:
			for {
				select {
				case e := <-w.ch:
					batch = append(batch, e)
					if len(batch) >= w.o.MaxBatch {
						flush()
					}
				default:
					flush()
					return
				}
			}
		}
	}
}

// Close writes what is buffered and stops the writer; later events are
// written synchronously. It waits until ctx is done at most. Safe to call
// more than once.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.stop)
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Buffered returns how many events wait in the buffer.
func (w *Writer) Buffered() int { return len(w.ch) }

// Stats are the writer's counters.
type Stats struct {
	Written, SyncWrites, Failed int64
}

// Stats returns how many events were written, how many were written
// synchronously because the buffer was full, and how many failed.
func (w *Writer) Stats() Stats {
	return Stats{Written: w.written.Load(), SyncWrites: w.syncWrites.Load(), Failed: w.failed.Load()}
}
