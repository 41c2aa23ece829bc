package spa

import (
	"encoding/json"
	"time"
)

// TransactionLifetime is how long an authorization request may take before its
// callback is refused.
const TransactionLifetime = 15 * time.Minute

// maxTransactions bounds the pending transactions kept; the oldest go first.
const maxTransactions = 20

// transaction is one authorization request in flight: what the callback must
// match (state), what the ID token must carry (nonce) and the PKCE verifier
// (RFC 7636 §4.1). It is stored under its state and used once.
type transaction struct {
	_           noCompare // no == (and no equality function in the wasm)
	V           int       `json:"v"`
	State       string    `json:"state"`
	Nonce       string    `json:"nonce"`
	Verifier    string    `json:"verifier"`
	ConfigID    string    `json:"config_id"`
	Authority   string    `json:"authority"`
	ClientID    string    `json:"client_id"`
	RedirectURL string    `json:"redirect_url"`
	ReturnURL   string    `json:"return_url,omitempty"`
	Silent      bool      `json:"silent,omitempty"`
	// Token is set for the silent request of a per-API token
	// (silentRequest): its callback stores that token only.
	Token     *TokenOptions `json:"token,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
}

const txPrefix = "oidcwasm.tx."

// saveTx stores t and prunes expired transactions and the oldest beyond maxTransactions.
// Callers hold m.txMu.
func (m *Manager) saveTx(t *transaction) error {
	now := m.clock.Now()
	keys := m.txStore.Keys(txPrefix)
	type aged struct {
		_   noCompare
		key string
		at  time.Time
	}
	var live []aged
	for _, k := range keys {
		old, ok := m.readTx(k)
		if !ok || now.Sub(old.CreatedAt) > TransactionLifetime || old.CreatedAt.After(now.Add(time.Minute)) {
			m.txStore.Remove(k)
			continue
		}
		live = append(live, aged{key: k, at: old.CreatedAt})
	}
	for len(live) >= maxTransactions {
		oldest := 0
		for i := range live {
			if live[i].at.Before(live[oldest].at) {
				oldest = i
			}
		}
		m.txStore.Remove(live[oldest].key)
		live = append(live[:oldest], live[oldest+1:]...)
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return m.txStore.Set(txPrefix+t.State, string(b))
}

// readTx reads one stored transaction; a value of another version is not one.
func (m *Manager) readTx(key string) (*transaction, bool) {
	raw, ok := m.txStore.Get(key)
	if !ok {
		return nil, false
	}
	var t transaction
	if json.Unmarshal([]byte(raw), &t) != nil || t.V != storeVersion || t.State == "" {
		return nil, false
	}
	return &t, true
}

// Discard drops req's transaction at once: a popup or iframe that failed or
// timed out must not leave a usable authorization request behind for
// TransactionLifetime. Discarding one that is gone (used, expired, never
// made) does nothing.
func (m *Manager) Discard(req AuthRequest) {
	if req.State == "" {
		return
	}
	m.txMu.Lock()
	defer m.txMu.Unlock()
	m.txStore.Remove(txPrefix + req.State)
}

// takeTx removes and returns the transaction for state, if it exists and has not expired.
// Callers hold m.txMu.
func (m *Manager) takeTx(state string) (*transaction, error) {
	key := txPrefix + state
	t, ok := m.readTx(key)
	if !ok || t.State != state {
		return nil, &Error{Code: CodeStateMismatch, Message: "the response's state matches no pending authorization request (it was never sent from this tab, or was already used)"}
	}
	m.txStore.Remove(key) // one use only, whatever happens next
	if age := m.clock.Now().Sub(t.CreatedAt); age > TransactionLifetime || age < -time.Minute {
		return nil, &Error{Code: CodeStateMismatch, ConfigID: t.ConfigID, Message: "the authorization request is older than 15 minutes"}
	}
	return t, nil
}

// PendingResponse reports whether raw is an authorization response whose
// state is a pending transaction of this Manager, without using it up:
// the service worker of worker custody completes only its own responses
// and leaves the page's to the page.
func (m *Manager) PendingResponse(raw string) bool {
	state, ok := CallbackState(raw)
	if !ok {
		return false
	}
	m.txMu.Lock()
	defer m.txMu.Unlock()
	_, ok = m.readTx(txPrefix + state)
	return ok
}
