// Package web is the browser edge of oidcwasm, the only package that imports
// syscall/js: a spa.Fetcher over window.fetch, spa.Stores over Web Storage, the
// navigator (location and history), the hidden iframe and its message events,
// Web Locks and BroadcastChannel, the front-channel logout page's messages and
// the provider's check_session_iframe, Promise helpers, and the go-app v10
// integration. Its files build only with GOOS=js; this file keeps go doc working.
package web
