package spa

import (
	"encoding/json"
	"sort"
	"strings"
)

// DropRefreshTokens removes the refresh token from every session stored in
// st, whichever config it belongs to and whether or not that config is
// configured yet, and returns the IDs of the configs that had one. The rest of
// each session (access token, ID token, claims, user data) stays, so the user
// stays signed in until the access token expires, and the next renewal goes by
// iframe or asks for a login.
//
// It is for a browser tab that turns out to be a duplicate of another live
// tab (the browser's "Duplicate tab" copies sessionStorage): both then hold
// the same refresh token, and with rotation the first to use it makes the
// other's use a replay, which the provider refuses with invalid_grant and may
// answer by revoking the whole token family (RFC 9700 §4.14.2). The copy must
// drop it before it is used.
//
// Call it before a Manager reads st (before Configure). A Manager that has
// already loaded a session keeps its copy in memory until it reads the store
// again: every renewal does so inside its lock, and Manager.Reload does it at
// once. When st refuses the rewrite of a session, the session is removed: a
// copied refresh token must not survive.
func DropRefreshTokens(st Store) []string {
	var ids []string
	for _, key := range st.Keys("oidcwasm.") {
		id, ok := strings.CutSuffix(strings.TrimPrefix(key, "oidcwasm."), ".session")
		if !ok || key != sessionKey(id) {
			continue
		}
		raw, ok := st.Get(key)
		if !ok {
			continue
		}
		// Edit the JSON rather than decode and re-encode a Session, so that
		// nothing else of the stored value changes.
		var env map[string]json.RawMessage
		var sess map[string]json.RawMessage
		var v int
		if json.Unmarshal([]byte(raw), &env) != nil || json.Unmarshal(env["v"], &v) != nil || v != storeVersion ||
			json.Unmarshal(env["session"], &sess) != nil || sess == nil {
			continue // not a session this version reads: readSession drops it
		}
		var rt string
		if json.Unmarshal(sess["refresh_token"], &rt) != nil || rt == "" {
			continue
		}
		delete(sess, "refresh_token")
		ids = append(ids, id)
		b, err := json.Marshal(sess)
		if err == nil {
			env["session"] = b
			b, err = json.Marshal(env)
		}
		if err != nil || st.Set(key, string(b)) != nil {
			st.Remove(key)
		}
	}
	sort.Strings(ids)
	return ids
}
