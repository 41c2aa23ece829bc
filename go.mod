module github.com/oidcwasm/oidcwasm

go 1.26

require (
	github.com/coreos/go-oidc/v3 v3.21.0
	github.com/go-jose/go-jose/v4 v4.1.8
	github.com/maxence-charriere/go-app/v10 v10.1.11
	golang.org/x/oauth2 v0.36.0
)

require github.com/google/uuid v1.6.0 // indirect
