package silentrefresh

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// SessionFrame is the provider's check_session_iframe in a hidden iframe of
// the page (OpenID Connect Session Management 1.0 §3.2).
//
// Ask posts t.Message to the config's iframe of t.IframeURL, with
// targetOrigin t.Origin, loading the iframe first when it has none of that
// URL, and returns the answer: a message event accepted by
// AcceptSessionReply ("changed", "unchanged" or "error"). It returns ctx's
// error when ctx ends first. Close removes the config's iframe. The browser
// implementation is web.SessionIframe.
type SessionFrame interface {
	Ask(ctx context.Context, configID string, t spa.CheckSessionTarget) (answer string, err error)
	Close(configID string)
}

// AcceptSessionReply decides whether a message event received by the page
// answers the check_session_iframe of frameOrigin, and returns the answer:
// it must come from that origin (msgOrigin, event.origin) and from that
// iframe's window (fromOurFrame, event.source === iframe.contentWindow), and
// be one of the three answer strings of §3.2. Anything else is not an
// answer and is ignored.
func AcceptSessionReply(frameOrigin, msgOrigin string, fromOurFrame bool, data any) (string, bool) {
	s, ok := data.(string)
	if !ok || !fromOurFrame || frameOrigin == "" || frameOrigin == "null" || !strings.EqualFold(msgOrigin, frameOrigin) {
		return "", false
	}
	switch s {
	case spa.CheckSessionChanged, spa.CheckSessionUnchanged, spa.CheckSessionError:
		return s, true
	}
	return "", false
}

// SessionMonitor asks the provider's check_session_iframe about each
// session of a config with CheckSession (OpenID Connect Session Management
// 1.0 §3.2): at once when the session appears (a sign-in, a restored session,
// a renewal with a new session_state), then every CheckSessionInterval, one
// question at a time, each bounded by the config's SilentRenewTimeout. What an
// answer means is spa.Manager.CheckSessionAnswer's; when it says to stop, the
// monitor does not ask about that session_state again (a renewal that brings
// a new one starts it anew). A loop ends when its config's session has
// nothing to ask about any more, and removes its iframe.
//
// Start, Stop and the Manager's events may come from any goroutine; none
// blocks on a question.
type SessionMonitor struct {
	m     *spa.Manager
	frame SessionFrame

	mu      sync.Mutex
	ctx     context.Context // nil: stopped
	cancel  context.CancelFunc
	unsub   func()
	loops   sync.WaitGroup
	running map[string]bool   // configs with a loop
	stopped map[string]string // config → the Message no longer asked about
}

// NewSessionMonitor returns a stopped SessionMonitor for m.
func NewSessionMonitor(m *spa.Manager, frame SessionFrame) *SessionMonitor {
	return &SessionMonitor{m: m, frame: frame, running: map[string]bool{}, stopped: map[string]string{}}
}

// Start begins watching; it does nothing when already started.
func (s *SessionMonitor) Start() {
	s.mu.Lock()
	if s.ctx != nil {
		s.mu.Unlock()
		return
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.Unlock()
	unsub := s.m.Subscribe(func(ev spa.Event) {
		switch ev.Type {
		case spa.EventConfigLoaded, spa.EventAuthenticated, spa.EventTokenRefreshed:
			s.plan(ev.ConfigID)
		}
	})
	s.mu.Lock()
	s.unsub = unsub
	s.mu.Unlock()
	for _, id := range s.m.ConfigIDs() {
		s.plan(id)
	}
}

// Stop stops every loop and waits for them to end.
func (s *SessionMonitor) Stop() {
	s.mu.Lock()
	if s.ctx == nil {
		s.mu.Unlock()
		return
	}
	s.cancel()
	s.ctx = nil
	unsub := s.unsub
	s.mu.Unlock()
	if unsub != nil {
		unsub()
	}
	s.loops.Wait()
}

// plan starts the config's loop when its session has something to ask
// about and no loop runs (the loop itself passes over a session_state given
// up on).
func (s *SessionMonitor) plan(configID string) {
	if _, ok := s.m.CheckSessionTarget(configID); !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil || s.running[configID] {
		return
	}
	s.running[configID] = true
	s.loops.Add(1)
	go s.loop(s.ctx, configID)
}

// loop asks about configID's session until CheckSessionAnswer says to stop,
// the session has nothing to ask about, or the monitor stops.
func (s *SessionMonitor) loop(ctx context.Context, configID string) {
	defer s.loops.Done()
	for {
		t, ok := s.m.CheckSessionTarget(configID)
		s.mu.Lock()
		if !ok || ctx.Err() != nil || s.stopped[configID] == t.Message {
			// Under the lock: a loop that plan starts next gets an iframe
			// of its own, which this Close cannot remove.
			s.frame.Close(configID)
			delete(s.running, configID)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		actx, cancel := context.WithTimeout(ctx, t.Timeout)
		answer, err := s.frame.Ask(actx, configID, t)
		cancel()
		if ctx.Err() != nil {
			continue // stopped: the loop ends above, and no event is emitted
		}
		if !s.m.CheckSessionAnswer(ctx, configID, t, answer, err) {
			s.mu.Lock()
			s.stopped[configID] = t.Message
			s.mu.Unlock()
			continue
		}
		select {
		case <-time.After(t.Interval):
		case <-ctx.Done():
		}
	}
}
