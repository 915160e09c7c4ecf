package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// complianceJobInterval is how often each node tries the MFA compliance
// job; the database lease lets one node at a time run it.
const complianceJobInterval = time.Hour

// nodeID names this process as a lease holder.
func nodeID() string {
	host, _ := os.Hostname()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}

// startComplianceJob runs the MFA compliance job (SEED-SPEC 9.6) shortly
// after start-up and then every complianceJobInterval until stopped.
func (a *App) startComplianceJob() (stop func()) {
	if a.MFA == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	holder := nodeID()
	go func() {
		defer close(done)
		wait := time.Minute
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = complianceJobInterval
			rep, err := a.MFA.RunComplianceJob(ctx, holder)
			switch {
			case err != nil && ctx.Err() == nil:
				a.log.Error("mfa compliance job failed", "error", err.Error())
			case rep.Ran:
				a.log.Info("mfa compliance job", "evaluated", rep.Evaluated, "suspended", rep.Suspended,
					"reminded", rep.Reminded, "stale_deleted", rep.StaleDelete)
			}
		}
	}()
	return func() { cancel(); <-done }
}

const mfaUsage = `Usage: secuird mfa run-compliance-job

Runs the MFA compliance job once (SEED-SPEC 9.6): suspends accounts past
their organization's deadline, sends due reminders, re-evaluates every
record and restores accounts that are compliant again. The database lease
makes it a no-op while another node runs it. Emails are queued in the
outbox and delivered by a running server.
`

// mfaCommand runs `secuird mfa run-compliance-job`: 0 done (or another
// node holds the lease), 1 failed, 2 usage or configuration.
func mfaCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mfa", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, mfaUsage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 || fs.Arg(0) != "run-compliance-job" {
		fs.Usage()
		return 2
	}
	cfg, err := Load(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "invalid configuration:\n%v\n", err)
		return 2
	}
	ctx := context.Background()
	a, err := New(ctx, cfg, WithLogger(NewLogger(cfg, stderr)))
	if err != nil {
		fmt.Fprintf(stderr, "secuird mfa: %v\n", err)
		return 1
	}
	defer a.Close()
	rep, err := a.MFA.RunComplianceJob(ctx, nodeID())
	if err != nil {
		fmt.Fprintf(stderr, "secuird mfa run-compliance-job: %v\n", err)
		return 1
	}
	if !rep.Ran {
		fmt.Fprintln(stdout, "another node is running the compliance job; nothing done")
		return 0
	}
	fmt.Fprintf(stdout, "evaluated %d, suspended %d, reminded %d, stale records deleted %d\n",
		rep.Evaluated, rep.Suspended, rep.Reminded, rep.StaleDelete)
	return 0
}
