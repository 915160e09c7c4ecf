package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/auditlog"
)

// auditViews builds the audit view use cases over the durable store, which
// also answers the membership lookups.
func (a *App) auditViews() *auditlog.Service {
	return auditlog.New(auditlog.Deps{Log: a.store, Roles: a.store})
}

const auditUsage = `Usage: secuird audit COMMAND

Commands:
  verify [--json]   check every hash chain of the audit trail

Exit status of verify: 0 when every chain is intact, 1 when one is broken
(tampered), 2 when the check could not run.
`

// Exit codes of `secuird audit verify`.
const (
	exitIntact   = 0
	exitTampered = 1
	exitError    = 2
)

// auditCommand runs `secuird audit ...` and returns the exit code.
func auditCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		fmt.Fprint(stderr, auditUsage)
		if len(args) == 0 {
			return exitError
		}
		return 0
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "verify":
		fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
		asJSON := fs.Bool("json", false, "print the report as JSON")
		fs.SetOutput(stderr)
		fs.Usage = func() {
			fmt.Fprint(stderr, "Usage: secuird audit verify [--json]\n\n"+
				"Walks every chain of the audit trail (one per organization, plus the platform\n"+
				"chain) in order, recomputes each row's hash and reports the first broken row\n"+
				"of each chain. Exit status: 0 intact, 1 tampered, 2 the check could not run.\n"+
				"Keep the printed chain heads elsewhere: a later head that does not extend\n"+
				"them shows a rewritten or truncated chain.\n\nFlags:\n")
			fs.PrintDefaults()
		}
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return exitError
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "secuird audit verify: unexpected argument %q\n", fs.Arg(0))
			fs.Usage()
			return exitError
		}
		cfg, err := Load(getenv)
		if err != nil {
			fmt.Fprintf(stderr, "invalid configuration:\n%v\n", err)
			return exitError
		}
		code, err := auditVerify(cfg, *asJSON, stdout, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "secuird audit verify: %v\n", err)
		}
		return code
	default:
		fmt.Fprintf(stderr, "unknown audit command %q\n\n%s", sub, auditUsage)
		return exitError
	}
}

// auditVerify opens the database (without migrating it), verifies the
// trail and prints the report.
func auditVerify(cfg Config, asJSON bool, stdout, stderr io.Writer) (int, error) {
	if err := cfg.Validate(); err != nil {
		return exitError, fmt.Errorf("invalid configuration:\n%w", err)
	}
	ctx := context.Background()
	s, err := openStore(ctx, cfg, NewLogger(cfg, stderr))
	if err != nil {
		return exitError, err
	}
	defer s.Close()
	v, err := s.VerifyAudit(ctx)
	if err != nil {
		return exitError, fmt.Errorf("verify the audit trail (is the database migrated?): %w", err)
	}
	if asJSON {
		err = printVerificationJSON(stdout, v)
	} else {
		err = printVerification(stdout, v)
	}
	if err != nil {
		return exitError, err
	}
	if !v.Intact() {
		return exitTampered, nil
	}
	return exitIntact, nil
}

// chainName is how a chain is named in reports.
func chainName(chain string) string {
	if chain == audit.PlatformChain {
		return "platform"
	}
	return "org " + chain
}

// printVerification writes one line per chain and a summary line.
func printVerification(w io.Writer, v audit.Verification) error {
	broken := 0
	for _, c := range v.Chains {
		legacy := ""
		if c.Legacy > 0 {
			legacy = fmt.Sprintf(" (%d legacy rows before chaining, unverifiable)", c.Legacy)
		}
		state := "intact"
		if b := c.Break; b != nil {
			broken++
			state = fmt.Sprintf("BROKEN at seq %d, id %s: %s: %s", b.Seq, b.ID, b.Problem, b.Detail)
		}
		if _, err := fmt.Fprintf(w, "chain %s: %d rows%s, head seq %d hash %s: %s\n",
			chainName(c.Chain), c.Rows, legacy, c.HeadSeq, orNone(c.HeadHash), state); err != nil {
			return err
		}
	}
	var err error
	if broken == 0 {
		_, err = fmt.Fprintf(w, "audit trail intact: %d chains, %d rows\n", len(v.Chains), v.Rows())
	} else {
		_, err = fmt.Fprintf(w, "audit trail TAMPERED: %d of %d chains broken\n", broken, len(v.Chains))
	}
	return err
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// verificationJSON is the --json report.
type verificationJSON struct {
	Intact bool        `json:"intact"`
	Rows   int64       `json:"rows"`
	Chains []chainJSON `json:"chains"`
}

type chainJSON struct {
	Chain    string     `json:"chain"`
	Platform bool       `json:"platform"`
	Rows     int64      `json:"rows"`
	Legacy   int64      `json:"legacy_rows"`
	HeadSeq  int64      `json:"head_seq"`
	HeadHash string     `json:"head_hash"`
	Intact   bool       `json:"intact"`
	Break    *breakJSON `json:"break,omitempty"`
}

type breakJSON struct {
	ID      string `json:"id"`
	Seq     int64  `json:"seq"`
	OrgID   string `json:"organization_id"`
	Problem string `json:"problem"`
	Detail  string `json:"detail"`
}

func printVerificationJSON(w io.Writer, v audit.Verification) error {
	out := verificationJSON{Intact: v.Intact(), Rows: v.Rows(), Chains: []chainJSON{}}
	for _, c := range v.Chains {
		cj := chainJSON{Chain: c.Chain, Platform: c.Chain == audit.PlatformChain, Rows: c.Rows, Legacy: c.Legacy,
			HeadSeq: c.HeadSeq, HeadHash: c.HeadHash, Intact: c.Intact()}
		if b := c.Break; b != nil {
			cj.Break = &breakJSON{ID: b.ID, Seq: b.Seq, OrgID: b.OrgID, Problem: string(b.Problem), Detail: b.Detail}
		}
		out.Chains = append(out.Chains, cj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
