// Package silentrefresh keeps sessions fresh: it decides when to renew (at
// Config.TimeoutFactor of the access token's lifetime, re-checked against the wall
// clock), how (the refresh token when the session has one, else a hidden iframe
// with prompt=none, OpenID Connect Core §3.1.2.1), and what a failure means. It
// embeds silent-refresh.html, the page that answers the iframe by postMessage,
// and serves it with an http.Handler.
//
// The flow:
//
//	m := spa.NewManager(spa.Options{Fetcher: f, Renewer: silentrefresh.New(frame)}) // frame: package web's iframe navigator
//	sch := silentrefresh.NewScheduler(m, silentrefresh.SchedulerOptions{})
//	sch.Start()     // renews each session at RenewAt(TimeoutFactor); Stop ends it
//	// on visibilitychange / online: sch.Recheck()
//
// An iframe renewal, inside the Manager's renewal lock, through the
// spa.Renewal the Manager hands the Renewer (nothing else of the Manager):
//
//	req := rn.SilentRequest(ctx)          // prompt=none, redirect_uri=silentRenewUrl; pushed (PAR) when configured
//	resp := frame.Navigate(ctx, req)      // silent-refresh.html posts location.href;
//	                                      // web accepts it when AcceptMessage(..., req.State) says so
//	rn.Complete(ctx, req, resp)           // req's state, iss; login_required & co. (§3.1.2.6) end here;
//	                                      // code + PKCE, ID token, same user (§12.2)
//
// Sign-out from elsewhere (docs/DESIGN.md): frontchannel-logout.html, the
// page the provider loads in an iframe when the user's session there ends
// (FrontchannelLogoutHTML, FrontchannelLogoutHandler; spa decides what a load
// of it means), and the check-session monitor, which asks the provider's
// check_session_iframe about each session:
//
//	mon := silentrefresh.NewSessionMonitor(m, frame) // frame: package web's SessionIframe
//	mon.Start()     // at once, then every CheckSessionInterval: m.CheckSessionAnswer decides
//
// The package is plain Go: it is tested natively, and compiled into the wasm
// bridge, so its imports stay light (net/http only for the Handler's types).
package silentrefresh
