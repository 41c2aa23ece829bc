//go:build !js

package goapp

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/spa"
)

// LoginPopup needs a browser window: outside the browser (go-app's server
// prerendering, where no handler runs) it records CodeUnsupported.
func (a *Auth) LoginPopup(ctx app.Context, configID string, o spa.AuthorizeOptions, po PopupOptions) {
	a.fail(configID, &spa.Error{Code: spa.CodeUnsupported, ConfigID: configID, Message: "popup sign-in needs a browser window"})
}
