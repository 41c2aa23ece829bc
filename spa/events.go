package spa

import (
	"sort"
	"sync"
	"time"
)

// EventType names an event of the JS contract (docs/DESIGN.md, "Events").
type EventType string

const (
	EventConfigLoaded       EventType = "configLoaded"       // discovery done
	EventAuthenticated      EventType = "authenticated"      // after a callback, or a restore (Restored)
	EventSilentRenewStarted EventType = "silentRenewStarted" // Method: refresh_token or iframe
	EventTokenRefreshed     EventType = "tokenRefreshed"     // a renewal stored new tokens
	EventSilentRenewFailed  EventType = "silentRenewFailed"  // Code says why
	EventTokenExpired       EventType = "tokenExpired"       // the access token expired with no renewal
	EventLoggedOut          EventType = "loggedOut"          // the local session ended; Reason says who ended it
	EventError              EventType = "error"              // any other failure worth telling
	// EventCheckSessionFailed: the provider's check_session_iframe answered
	// "error", or never answered (OpenID Connect Session Management 1.0
	// §3.2); the session is no longer watched until it is renewed. Code
	// says why.
	EventCheckSessionFailed EventType = "checkSessionFailed"
)

// ReasonProvider is EventLoggedOut's Reason when the provider ended the
// session, not this app (docs/DESIGN.md, "Sign-out from elsewhere"): a
// front-channel logout request, a renewal answered login_required,
// consent_required, interaction_required or invalid_grant, a userinfo 401,
// or another user at the provider.
const ReasonProvider = "provider"

// ReasonWorkerRestarted is EventLoggedOut's Reason when the browser
// stopped the service worker that kept the config's tokens (custody
// "worker", docs/DESIGN.md "Token custody in a service worker"): its
// memory went with it, and no token is written anywhere to survive that.
const ReasonWorkerRestarted = "worker_restarted"

// Renewal methods of EventSilentRenewStarted.
const (
	MethodRefreshToken = "refresh_token"
	MethodIframe       = "iframe"
)

// Event is one thing that happened to a config's session. It never carries a token.
type Event struct {
	_         noCompare // compare fields, not Events
	Type      EventType
	ConfigID  string
	Restored  bool      // EventAuthenticated from stored tokens, not a callback
	Method    string    // EventSilentRenewStarted
	Code      string    // EventSilentRenewFailed, EventError, EventCheckSessionFailed, EventLoggedOut (why, when not asked)
	Message   string    // for a person
	ExpiresAt time.Time // EventAuthenticated, EventTokenRefreshed: the new access token's expiry
	// Warning is a mistake that does not stop the flow but should not stay
	// silent, for a person (EventAuthenticated: useRefreshToken without a
	// refresh token in the answer).
	Warning string
	// Resource names the per-API token an EventTokenRefreshed or
	// EventSilentRenewFailed is about ("" for the login token; see
	// AccessTokenFor).
	Resource string
	// Reason is who ended the session of an EventLoggedOut: ReasonProvider,
	// ReasonWorkerRestarted, or "" when this app did (logoff, logoffLocal, a failed check).
	Reason string
}

// events is a list of subscribers; the zero value is ready.
type events struct {
	mu   sync.Mutex
	next int
	subs map[int]func(Event)
}

// Subscribe calls fn for every event until the returned function is called.
// fn runs on the goroutine that caused the event and must not block.
func (e *events) Subscribe(fn func(Event)) (unsubscribe func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.subs == nil {
		e.subs = make(map[int]func(Event))
	}
	id := e.next
	e.next++
	e.subs[id] = fn
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		delete(e.subs, id)
	}
}

// emit calls every subscriber in subscription order, outside the lock.
func (e *events) emit(ev Event) {
	e.mu.Lock()
	ids := make([]int, 0, len(e.subs))
	for id := range e.subs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	fns := make([]func(Event), len(ids))
	for i, id := range ids {
		fns[i] = e.subs[id]
	}
	e.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
}
