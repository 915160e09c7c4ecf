package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"
)

// The audit trail is a set of hash chains, one per organization plus the
// platform chain for entries without one. Every entry carries its position
// in its chain (Seq, from 1), the hash of the entry before it (PrevHash, ""
// for the first) and its own hash (Hash), a SHA-256 over a canonical
// encoding of every stored field. Changing, removing, reordering or
// inserting a row therefore breaks the chain at that row; ChainCheck finds
// the break.
//
// The hash has no key: someone who can write the database and knows this
// encoding can rewrite a chain's tail consistently. Keeping the chain heads
// that verification reports somewhere else (a ticket, a log shipper) turns
// that into a detectable change too.

// PlatformChain is the chain key of entries that belong to no organization.
const PlatformChain = ""

// ChainOf returns the key of the chain an entry belongs to: its
// organization, or PlatformChain.
func ChainOf(e Entry) string { return e.OrgID }

// hashDomain starts every encoded entry, so that a future encoding can
// never produce the same bytes as this one.
const hashDomain = "secuird.audit.v1"

// TimeLayout is how an entry's time enters its hash: UTC, to the
// microsecond (the precision every store keeps).
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// ChainHash returns the hex SHA-256 of e's canonical encoding: its ID, At
// (UTC, microseconds), ActorID, Action, ResourceType, ResourceID, OrgID,
// IP, UserAgent, RequestID, Success, Error, Description, the extra data
// given as canonical JSON text (see CanonicalJSON; e.Extra is not read),
// Seq and PrevHash. Each value is written as a netstring ("len:bytes,")
// after a version tag, so no two different entries share an encoding.
// e.Hash is ignored.
func ChainHash(e Entry, extraJSON string) string {
	h := sha256.New()
	var num [20]byte
	put := func(s string) {
		_, _ = h.Write(strconv.AppendInt(num[:0], int64(len(s)), 10))
		_, _ = h.Write([]byte{':'})
		_, _ = io.WriteString(h, s)
		_, _ = h.Write([]byte{','})
	}
	success := "0"
	if e.Success {
		success = "1"
	}
	put(hashDomain)
	put(e.ID)
	put(FormatTime(e.At))
	put(e.ActorID)
	put(e.Action)
	put(e.ResourceType)
	put(e.ResourceID)
	put(e.OrgID)
	put(e.IP)
	put(e.UserAgent)
	put(e.RequestID)
	put(success)
	put(e.Error)
	put(e.Description)
	put(extraJSON)
	put(strconv.FormatInt(e.Seq, 10))
	put(e.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// FormatTime renders t as it enters a hash (TimeLayout).
func FormatTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(TimeLayout)
}

// CanonicalExtra returns the canonical JSON text of an entry's extra data:
// "" when it is empty, else the object with sorted keys, no insignificant
// white space and no HTML escaping. It fails for values JSON cannot hold.
func CanonicalExtra(extra map[string]any) (string, error) {
	if len(extra) == 0 {
		return "", nil
	}
	raw, err := json.Marshal(extra)
	if err != nil {
		return "", err
	}
	return CanonicalJSON(string(raw))
}

// CanonicalJSON rewrites stored extra data canonically (see CanonicalExtra).
// Numbers keep their literal text, so large integers survive. "", "null"
// and "{}" all mean no extra data and give "". Anything but one JSON object
// (or null) is an error.
func CanonicalJSON(text string) (string, error) {
	if text == "" {
		return "", nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", errors.New("audit: data after the JSON object")
	}
	if len(v) == 0 {
		return "", nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte{'\n'})), nil
}

// Problem names what is wrong with the first broken row of a chain.
type Problem string

// The problems ChainCheck reports.
const (
	// ProblemHash: the row's fields do not match its hash (it was changed).
	ProblemHash Problem = "hash_mismatch"
	// ProblemPrev: the row does not point at the hash of the row before it
	// (a row before it was replaced, or rows were reordered).
	ProblemPrev Problem = "prev_mismatch"
	// ProblemGap: sequence numbers are missing before the row (rows were
	// deleted).
	ProblemGap Problem = "seq_gap"
	// ProblemDuplicate: two rows share a sequence number (a row was
	// inserted, which needs the unique index dropped first).
	ProblemDuplicate Problem = "seq_duplicate"
	// ProblemUnhashed: a row without a hash after the chain began (only
	// rows written before chaining existed may lack one, at the start).
	ProblemUnhashed Problem = "unhashed"
	// ProblemChainKey: the row's organization is not the chain it sits in
	// (it was moved to another tenant).
	ProblemChainKey Problem = "chain_mismatch"
)

// Break is the first broken row of a chain.
type Break struct {
	ID      string
	Seq     int64
	OrgID   string
	Problem Problem
	Detail  string // a human-readable explanation
}

// ChainStatus is what verification found in one chain.
type ChainStatus struct {
	// Chain is the organization ID, or PlatformChain.
	Chain string
	// Rows counts every row of the chain, including any after a break.
	Rows int64
	// Legacy counts the rows at the start of the chain written before
	// hash chaining existed (no hash and no previous hash); they cannot be
	// verified, and the first hashed row follows them.
	Legacy int64
	// HeadSeq and HeadHash describe the last row as stored.
	HeadSeq  int64
	HeadHash string
	// Break is the first broken row; nil when the chain is intact.
	Break *Break
}

// Intact reports whether the chain has no break.
func (c ChainStatus) Intact() bool { return c.Break == nil }

// Verification is the result of checking every chain of the trail.
type Verification struct {
	// Chains are ordered by chain key; the platform chain ("") first.
	Chains []ChainStatus
}

// Intact reports whether every chain is intact.
func (v Verification) Intact() bool {
	for _, c := range v.Chains {
		if !c.Intact() {
			return false
		}
	}
	return true
}

// Rows counts the rows of every chain.
func (v Verification) Rows() int64 {
	var n int64
	for _, c := range v.Chains {
		n += c.Rows
	}
	return n
}

// ChainCheck verifies one chain. Feed it the chain's rows as stored, in
// (Seq, ID) order, with Next; Status reports the result. It keeps only the
// previous row's hash, so a chain of any length is checked in constant
// memory.
type ChainCheck struct {
	st      ChainStatus
	prev    string // hash of the previous row
	lastSeq int64
	began   bool // a hashed row has been seen
}

// NewChainCheck starts checking the chain with key chain.
func NewChainCheck(chain string) *ChainCheck {
	return &ChainCheck{st: ChainStatus{Chain: chain}}
}

// Next checks the next stored row: e with its extra data as the stored
// JSON text. After the first break it only counts rows.
func (c *ChainCheck) Next(e Entry, extraJSON string) {
	c.st.Rows++
	defer func() {
		c.st.HeadSeq, c.st.HeadHash = e.Seq, e.Hash
		c.prev, c.lastSeq = e.Hash, e.Seq
	}()
	if c.st.Break != nil {
		return
	}
	switch want := c.lastSeq + 1; {
	case c.st.Rows > 1 && e.Seq == c.lastSeq:
		c.fail(e, ProblemDuplicate, "sequence number "+strconv.FormatInt(e.Seq, 10)+" appears twice")
		return
	case e.Seq != want:
		c.fail(e, ProblemGap, "expected sequence number "+strconv.FormatInt(want, 10)+", found "+strconv.FormatInt(e.Seq, 10))
		return
	}
	if e.OrgID != c.st.Chain {
		c.fail(e, ProblemChainKey, "organization "+strconv.Quote(e.OrgID)+" stored in chain "+strconv.Quote(c.st.Chain))
		return
	}
	if e.Hash == "" {
		if !c.began && e.PrevHash == "" {
			c.st.Legacy++
			return
		}
		c.fail(e, ProblemUnhashed, "row has no hash")
		return
	}
	c.began = true
	extra, err := CanonicalJSON(extraJSON)
	if err != nil {
		c.fail(e, ProblemHash, "extra data is not a JSON object")
		return
	}
	if ChainHash(e, extra) != e.Hash {
		c.fail(e, ProblemHash, "row content does not match its hash")
		return
	}
	if e.PrevHash != c.prev {
		c.fail(e, ProblemPrev, "previous hash does not match the row before")
	}
}

// Status returns what the rows fed so far show.
func (c *ChainCheck) Status() ChainStatus { return c.st }

func (c *ChainCheck) fail(e Entry, p Problem, detail string) {
	c.st.Break = &Break{ID: e.ID, Seq: e.Seq, OrgID: e.OrgID, Problem: p, Detail: detail}
}
