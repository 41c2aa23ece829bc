package web

import (
	"context"
	"errors"
	"math"
	"net/url"
	"strconv"
	"syscall/js"
	"time"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
)

// PopupChannelName is the BroadcastChannel on which silent-refresh.html
// answers when a Cross-Origin-Opener-Policy cut the popup off from its opener
// (window.opener is null there).
const PopupChannelName = "oidcwasm.popup"

// popupPoll is how often SignInWithPopup looks whether the user closed the popup.
const popupPoll = 100 * time.Millisecond

// OpenPopup opens an empty popup window for a sign-in. Browsers allow
// window.open only during a user gesture (a click), and only for a moment
// after it: call OpenPopup in the event handler itself, before any wait, and
// hand the window to SignInWithPopup. A browser that gives no window (a popup
// blocker) is CodePopupBlocked.
func OpenPopup(configID string, o PopupOptions) (js.Value, error) {
	win := js.Global()
	w, h := o.Width, o.Height
	if w <= 0 || math.IsNaN(w) {
		w = 500
	}
	if h <= 0 || math.IsNaN(h) {
		h = 600
	}
	left := win.Get("screenX").Float() + (win.Get("outerWidth").Float()-w)/2
	top := win.Get("screenY").Float() + (win.Get("outerHeight").Float()-h)/2
	if o.Left != nil {
		left = *o.Left
	}
	if o.Top != nil {
		top = *o.Top
	}
	px := func(f float64) string { return strconv.Itoa(int(math.Round(math.Max(f, 0)))) }
	features := "popup=yes,width=" + px(w) + ",height=" + px(h) + ",left=" + px(left) + ",top=" + px(top)
	popup := win.Call("open", "", "", features)
	if popup.IsNull() || popup.IsUndefined() {
		return js.Null(), &spa.Error{Code: spa.CodePopupBlocked, ConfigID: configID,
			Message: "the browser blocked the sign-in popup: call authorizeWithPopUp from a click handler, before any await, or allow popups for this site"}
	}
	return popup, nil
}

// SignInWithPopup signs in to a config of m in popup, a window OpenPopup gave:
// it loads the authorization URL there (redirect_uri = the config's
// PopupRedirectURL), waits for silent-refresh.html to hand the response back,
// and validates and exchanges it as any callback. The page itself never
// navigates.
//
// An answer is accepted only as silentrefresh.AcceptMessage says: a message
// event whose source is that popup and whose origin is this page's, or a
// message on PopupChannelName (same origin by construction), carrying the
// pending state. Anything else is ignored. A popup the user closes before it
// answers is CodePopupClosed. A popup that reads closed before it ever showed
// a page was cut off by the provider's Cross-Origin-Opener-Policy (the
// window is open, this page's handle to it is not): its answer comes over
// the channel, and SignInWithPopup waits for it up to PopupSeveredWait. On
// every failure the transaction is dropped at once (spa.Manager.Discard),
// and the popup is closed on return.
func SignInWithPopup(ctx context.Context, m PopupSignIner, popup js.Value, configID string, o spa.AuthorizeOptions) (*spa.Session, error) {
	defer popup.Call("close")
	// A popup left open with no answer gives up with its transaction.
	ctx, cancel := context.WithTimeout(ctx, spa.TransactionLifetime)
	defer cancel()
	req, err := m.AuthorizePopup(ctx, configID, o)
	if err != nil {
		return nil, err
	}
	answer, err := PopupAnswer(ctx, popup, req)
	if err != nil {
		m.Discard(req)
		return nil, err
	}
	return m.Complete(ctx, req, answer)
}

// PopupSignIner makes a popup sign-in's request and completes or drops its
// answer: a *spa.Manager, or the service worker of custody "worker"
// (CustodyWorker), whose session stays there.
type PopupSignIner interface {
	AuthorizePopup(ctx context.Context, configID string, o spa.AuthorizeOptions) (spa.AuthRequest, error)
	Complete(ctx context.Context, req spa.AuthRequest, answer string) (*spa.Session, error)
	Discard(req spa.AuthRequest)
}

// PopupAnswer navigates popup to req's URL and returns the provider's
// answer for req's state: only silent-refresh.html's message from that
// popup (or, when a Cross-Origin-Opener-Policy severed it, on the popup
// channel), of this origin, with that state. A closed popup is
// CodePopupClosed, ctx's deadline CodeTimeout. The caller makes the request
// and completes the answer: SignInWithPopup with a Manager, the bridge with
// the service worker for worker custody.
func PopupAnswer(ctx context.Context, popup js.Value, req spa.AuthRequest) (string, error) {
	answer, err := waitPopup(ctx, popup, req.URL, req.State)
	switch {
	case err == nil:
		return answer, nil
	case errors.Is(err, errPopupClosed):
		return "", &spa.Error{Code: spa.CodePopupClosed, ConfigID: req.ConfigID, Message: "the sign-in popup was closed before the provider answered"}
	case errors.Is(err, errPopupSevered):
		return "", &spa.Error{Code: spa.CodePopupClosed, ConfigID: req.ConfigID, Message: "the sign-in popup gave no answer in " +
			PopupSeveredWait.String() + " after the provider's Cross-Origin-Opener-Policy cut it off from this page (a handle that reads closed): the user closed it, or left it"}
	case errors.Is(err, context.DeadlineExceeded):
		return "", &spa.Error{Code: spa.CodeTimeout, ConfigID: req.ConfigID, Message: "the sign-in popup got no answer in " + spa.TransactionLifetime.String()}
	}
	return "", err
}

var errPopupClosed = errors.New("popup closed")

// waitPopup navigates popup to authorizeURL and returns the accepted answer.
// It blocks: not inside a js.FuncOf callback.
func waitPopup(ctx context.Context, popup js.Value, authorizeURL, state string) (string, error) {
	if u, err := url.Parse(authorizeURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("oidcwasm: web: the popup's authorization URL is not an http(s) URL")
	}
	win := js.Global()
	origin := win.Get("location").Get("origin").String()
	answer := make(chan string, 1)
	offer := func(msgOrigin string, fromPopup bool, data js.Value) {
		var d any
		if data.Type() == js.TypeString {
			d = data.String()
		}
		if u, ok := silentrefresh.AcceptMessage(origin, msgOrigin, fromPopup, d, state); ok {
			select {
			case answer <- u:
			default:
			}
		}
	}
	onMessage := js.FuncOf(func(this js.Value, args []js.Value) any {
		ev := arg0(args)
		if ev.Type() != js.TypeObject {
			return nil
		}
		msgOrigin := ""
		if o := ev.Get("origin"); o.Type() == js.TypeString {
			msgOrigin = o.String()
		}
		offer(msgOrigin, ev.Get("source").Equal(popup), ev.Get("data"))
		return nil
	})
	onChannel := js.FuncOf(func(this js.Value, args []js.Value) any {
		if ev := arg0(args); ev.Type() == js.TypeObject {
			offer(origin, true, ev.Get("data"))
		}
		return nil
	})
	ch := js.Undefined()
	if ctor := win.Get("BroadcastChannel"); ctor.Type() == js.TypeFunction {
		ch = ctor.New(PopupChannelName)
		ch.Call("addEventListener", "message", onChannel)
	}
	win.Call("addEventListener", "message", onMessage)
	defer func() {
		win.Call("removeEventListener", "message", onMessage)
		if !ch.IsUndefined() {
			ch.Call("close")
		}
		onMessage.Release()
		onChannel.Release()
	}()

	popup.Get("location").Call("replace", authorizeURL)
	tick := time.NewTicker(popupPoll)
	defer tick.Stop()
	// navigated: seen on a page other than the empty one OpenPopup gave, at
	// two polls in a row. Once is not enough: while Chromium moves a popup
	// into a browsing context group of its own (a Cross-Origin-Opener-Policy),
	// its handle can read open on another origin's page for a moment before
	// it reads closed.
	navigated, seen := false, 0
	for {
		select {
		case u := <-answer:
			return u, nil
		case <-ctx.Done():
			return "", ctx.Err()
		case <-tick.C:
			if !popup.Get("closed").Truthy() {
				if leftBlank(popup) {
					seen++
				} else {
					seen = 0
				}
				navigated = navigated || seen >= 2
				continue
			}
			// The page posts, then closes itself: its message may still be
			// in the queue behind the close.
			select {
			case u := <-answer:
				return u, nil
			case <-time.After(2 * popupPoll):
			case <-ctx.Done():
				return "", ctx.Err()
			}
			if navigated || ch.IsUndefined() {
				return "", errPopupClosed
			}
			// Closed before it ever showed a page: the first page the
			// provider committed carried a Cross-Origin-Opener-Policy, which
			// moves the popup away from this page; this page's handle then
			// reads closed while the window is open and the user signs in
			// (HTML, "browsing context group switches due to
			// cross-origin opener policy"). silent-refresh.html answers on
			// the popup channel then: wait for it.
			select {
			case u := <-answer:
				return u, nil
			case <-time.After(PopupSeveredWait):
				return "", errPopupSevered
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
	}
}

// PopupSeveredWait is how long SignInWithPopup waits for the answer of a
// popup that the provider's Cross-Origin-Opener-Policy cut off from the page
// (see waitPopup): such a handle cannot be told from a closed window, so a
// popup the user closes at the provider's first page is popup_closed only
// after this wait.
const PopupSeveredWait = 5 * time.Minute

var errPopupSevered = errors.New("popup severed")

// leftBlank reports whether popup shows a page other than the empty one it
// opened with: a document of another origin (whose address this page may
// not read: a SecurityError, or undefined), or one of this origin past
// about:blank.
func leftBlank(popup js.Value) (left bool) {
	defer func() {
		if recover() != nil {
			left = true // a SecurityError: another origin's document
		}
	}()
	// Through Reflect.get: syscall/js turns a throw into a panic only in a
	// call (Value.Get would let the SecurityError unwind the wasm stack).
	// WebKit answers undefined instead of throwing.
	reflect := js.Global().Get("Reflect")
	href := reflect.Call("get", reflect.Call("get", popup, "location"), "href")
	return href.Type() != js.TypeString || href.String() != "about:blank"
}
