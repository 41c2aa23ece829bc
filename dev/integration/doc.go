// Package integration runs the spa core, natively, against the development
// OpenID Provider over real HTTP: the whole public-client flow of a
// single-page application without a browser.
package integration
