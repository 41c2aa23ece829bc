//go:build !js

package goapp

// NewWorker is nil outside the browser: there is no service worker.
func NewWorker() Worker { return nil }
