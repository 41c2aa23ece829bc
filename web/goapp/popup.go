package goapp

import "github.com/oidcwasm/oidcwasm/web"

// PopupOptions size and place the sign-in popup of LoginPopup: see
// web.PopupOptions.
type PopupOptions = web.PopupOptions
