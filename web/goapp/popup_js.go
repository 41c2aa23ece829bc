package goapp

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

// LoginPopup signs in to a config ("" means the first one) in a popup
// window; the page stays where it is, and the config's state changes when the
// popup's answer is exchanged. Call it from an event handler (OnClick): the
// popup opens at once, because browsers allow window.open only for a moment
// after the user's gesture (go-app runs handlers just after the browser
// event, which Chromium and Firefox still count as the gesture's). A blocked
// popup (popup_blocked), a popup the user closed (popup_closed) and any
// callback error land in the config's state as usual.
func (a *Auth) LoginPopup(ctx app.Context, configID string, o spa.AuthorizeOptions, po PopupOptions) {
	a.Bind(ctx)
	popup, err := web.OpenPopup(configID, po)
	ctx.Async(func() {
		if werr := a.wait(ctx); werr != nil {
			if err == nil {
				popup.Call("close")
			}
			a.fail(configID, werr)
			return
		}
		id := a.resolve(configID)
		if err == nil && a.inWorker(id) {
			err = a.worker.popup(ctx, popup, id, o) // the worker makes the request and completes the answer
		} else if err == nil {
			_, err = web.SignInWithPopup(ctx, a.m, popup, id, o)
		}
		a.refresh(ctx, id)
		if err != nil {
			a.fail(id, err)
		}
	})
}
