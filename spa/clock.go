package spa

import "time"

// Clock tells the wall-clock time. Inject one in tests; nil means the system clock.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

// Now returns the wall-clock time without its monotonic reading, so that a
// device that slept is not fooled (the monotonic clock may stop during sleep).
func (systemClock) Now() time.Time { return time.Now().Round(0) }

// SystemClock returns the Clock used when none is given (a function, not a
// variable: nothing can swap the clock of every Manager at once).
func SystemClock() Clock { return systemClock{} }
