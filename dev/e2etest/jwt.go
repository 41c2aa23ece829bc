package e2etest

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// Claims decodes a JWT's payload without checking anything: for asserting
// which provider and client a token the page holds belongs to.
func Claims(t testing.TB, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return c
}

// Audience is a JWT's aud claim as a list.
func Audience(c map[string]any) []string {
	switch v := c["aud"].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}
