package sqlstore

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// txAttempts is how often InTx runs fn on Postgres: the first run plus up
// to three retries after a serialization failure or deadlock.
const txAttempts = 4

// txKey keys the running transaction in a context. It holds the Store so a
// transaction of one Store is never used by another.
type txKey struct{ s *Store }

// txState is the transaction a context carries.
type txState struct {
	tx bun.Tx
	sp atomic.Int64 // savepoint counter for nested InTx
}

func (s *Store) txFrom(ctx context.Context) *txState {
	st, _ := ctx.Value(txKey{s}).(*txState)
	return st
}

// InTx runs fn in one transaction. Store calls made with the context given
// to fn join it; if fn returns an error (or panics) nothing fn wrote is
// kept, and fn's error is returned unchanged.
//
// A nested InTx (ctx already carries this Store's transaction) joins the
// outer transaction under a savepoint: its error undoes only its own
// writes, and the outer fn decides whether to go on.
//
// On Postgres, fn is run again (up to three more times) when the
// transaction fails with a serialization failure or a deadlock; fn must
// therefore have no effects outside the stores. Begin and commit errors
// are *fault.Error (Unavailable, Conflict after the retries, Internal).
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	const op = "sqlstore.InTx"
	if st := s.txFrom(ctx); st != nil {
		return s.savepoint(ctx, st, fn)
	}
	attempts := 1
	if s.postgres() {
		attempts = txAttempts
	}
	for i := 1; ; i++ {
		err := s.runTx(ctx, fn)
		if err == nil || i >= attempts || !isRetryable(err) {
			return err
		}
		// Back off a little, with jitter, so the racers do not collide again.
		d := time.Duration(i)*5*time.Millisecond + rand.N(10*time.Millisecond) //nolint:gosec // jitter, not a secret
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return translate(op, err)
		case <-t.C:
		}
		s.log.DebugContext(ctx, "retrying transaction", "attempt", i+1, "err", err)
	}
}

func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	const op = "sqlstore.InTx"
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return translate(op, err)
	}
	done := false
	defer func() {
		if !done {
			// fn panicked: give the connection back before re-panicking.
			_ = tx.Rollback()
		}
	}()
	st := &txState{tx: tx}
	if err := fn(context.WithValue(ctx, txKey{s}, st)); err != nil {
		done = true
		_ = tx.Rollback()
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return translate(op, err)
	}
	return nil
}

func (s *Store) savepoint(ctx context.Context, st *txState, fn func(ctx context.Context) error) error {
	const op = "sqlstore.InTx"
	name := "secuird_sp_" + strconv.FormatInt(st.sp.Add(1), 10)
	if _, err := st.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return translate(op, err)
	}
	done := false
	defer func() {
		if !done {
			_, _ = st.tx.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+name)
		}
	}()
	if err := fn(ctx); err != nil {
		done = true
		// On Postgres a failed statement aborts the transaction until the
		// savepoint is rolled back; rolling back also undoes fn's writes.
		_, _ = st.tx.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+name)
		return err
	}
	done = true
	if _, err := st.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return translate(op, err)
	}
	return nil
}
