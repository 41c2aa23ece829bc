module github.com/oidcwasm/oidcwasm/dev

go 1.26

require github.com/oidcwasm/oidcwasm v0.0.0

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/chromedp/chromedp v0.23.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/zitadel/oidc/v3 v3.48.0 // indirect
)

replace github.com/oidcwasm/oidcwasm => ../
