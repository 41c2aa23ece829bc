// Package chromium holds what every headless Chromium of the dev tools shares:
// the flags that make it run in CI, also as root, with nothing in the
// background that could take CPU or network from a test or a measurement.
package chromium

import "github.com/chromedp/chromedp"

// Flags are the allocator options of every dev tool's Chromium. chromedp adds
// a fresh temporary --user-data-dir and talks to the browser over a pipe, so
// no debugging port is opened. Callers append their own (ExecPath, window size).
func Flags() []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.Flag("no-sandbox", true), // root in CI
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-hang-monitor", true),
		chromedp.Flag("password-store", "basic"),
	}
}
