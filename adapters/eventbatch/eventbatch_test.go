package eventbatch_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/eventbatch"
	"github.com/secuird/secuird/core/oidc"
)

// memLog records batches; it can block (to fill the buffer) or fail.
type memLog struct {
	mu      sync.Mutex
	batches [][]oidc.Event
	gate    chan struct{}
	fail    bool
}

func (m *memLog) AppendOIDCEvents(_ context.Context, ev []oidc.Event) error {
	if m.gate != nil {
		<-m.gate
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("disk full")
	}
	m.batches = append(m.batches, append([]oidc.Event(nil), ev...))
	return nil
}

func (m *memLog) OIDCEvents(context.Context, string, int) ([]oidc.Event, error) { return nil, nil }

func (m *memLog) count() (events, batches int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range m.batches {
		events += len(b)
	}
	return events, len(m.batches)
}

func ev(i int) oidc.Event {
	return oidc.Event{ID: fmt.Sprint(i), Type: oidc.EventTokenIssue, At: time.Unix(int64(i), 0)}
}

func TestWriterBatchesAndFlushesOnClose(t *testing.T) {
	t.Parallel()
	log := &memLog{}
	w := eventbatch.New(log, eventbatch.Options{Interval: time.Hour, MaxBatch: 100})
	for i := range 250 {
		w.Record(t.Context(), ev(i))
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	events, batches := log.count()
	if events != 250 || batches != 3 {
		t.Errorf("wrote %d events in %d batches, want 250 in 3 (100, 100, and 50 on close)", events, batches)
	}
	w.Record(t.Context(), ev(999))
	if events, _ := log.count(); events != 251 {
		t.Errorf("an event after Close was not written synchronously: %d", events)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestWriterFlushesOnTheInterval(t *testing.T) {
	t.Parallel()
	log := &memLog{}
	w := eventbatch.New(log, eventbatch.Options{Interval: 10 * time.Millisecond})
	defer w.Close(context.Background()) //nolint:errcheck // test cleanup
	w.Record(t.Context(), ev(1))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if events, _ := log.count(); events == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the event was never written")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWriterWritesSynchronouslyWhenTheBufferIsFull(t *testing.T) {
	t.Parallel()
	log := &memLog{gate: make(chan struct{})}
	w := eventbatch.New(log, eventbatch.Options{Buffer: 2, MaxBatch: 1, Interval: time.Hour})
	// The loop takes one event and blocks writing it; two more fill the
	// buffer; the fourth is written by the caller.
	w.Record(t.Context(), ev(0))
	for !blocked(w) {
		time.Sleep(time.Millisecond)
	}
	for i := 1; i < 3; i++ {
		w.Record(t.Context(), ev(i))
	}
	done := make(chan struct{})
	go func() { w.Record(context.Background(), ev(3)); close(done) }()
	for w.Stats().SyncWrites == 0 {
		time.Sleep(time.Millisecond)
	}
	close(log.gate)
	<-done
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if events, _ := log.count(); events != 4 {
		t.Errorf("wrote %d events, want 4", events)
	}
	if st := w.Stats(); st.SyncWrites < 1 || st.Written != 4 {
		t.Errorf("stats %+v", st)
	}
}

// blocked reports whether the writer's loop took the first event (the
// buffer is empty again while the write waits at the gate).
func blocked(w *eventbatch.Writer) bool { return w.Buffered() == 0 }

func TestWriterCountsFailedWrites(t *testing.T) {
	t.Parallel()
	log := &memLog{fail: true}
	w := eventbatch.New(log, eventbatch.Options{Interval: time.Hour})
	w.Record(t.Context(), ev(1))
	_ = w.Close(t.Context())
	if st := w.Stats(); st.Failed != 1 || st.Written != 0 {
		t.Errorf("stats %+v", st)
	}
}
