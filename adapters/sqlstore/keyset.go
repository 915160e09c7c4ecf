package sqlstore

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// encodeKeyset builds an opaque page cursor for keyset pagination ordered
// by (created_at, id) descending. tag names the listing (and its format
// version), so a cursor from one listing is refused by another.
func encodeKeyset(tag string, at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tag + ":" + strconv.FormatInt(at.UnixMicro(), 10) + ":" + id))
}

// decodeKeyset parses a cursor made by encodeKeyset with the same tag; ok
// is false for anything else.
func decodeKeyset(tag, c string) (at time.Time, id string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", false
	}
	parts := strings.SplitN(string(b), ":", 3)
	if len(parts) != 3 || parts[0] != tag || parts[2] == "" {
		return time.Time{}, "", false
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	return time.UnixMicro(us).UTC(), parts[2], true
}
