package web

// PopupOptions size and place the sign-in popup (OpenPopup), in CSS pixels.
// Zero Width or Height mean 500×600; unset Left and Top centre it on the
// opener's window. Declared for every build, so that code shared with
// go-app's server prerendering compiles.
type PopupOptions struct {
	Width, Height float64
	Left, Top     *float64
}
