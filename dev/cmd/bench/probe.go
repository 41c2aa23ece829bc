package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// runProbe signs in on a library's page (the main variant) and prints what
// the JavaScript expression expr resolves to, as JSON: for questions the
// table raises, such as where the time of one call goes.
//
//	go run ./cmd/bench -probe bridge -js 'bench.internals(500)'
func runProbe(ctx context.Context, e *env, lib, expr string) error {
	s, err := startSite(ctx, e)
	if err != nil {
		return err
	}
	defer s.close()
	t, err := openBrowser(ctx, e.opts.chromium)
	if err != nil {
		return err
	}
	defer t.close()
	if err := t.navigate(s.pageURL(lib, variantMain)); err != nil {
		return err
	}
	if _, err := t.wait("load", time.Minute); err != nil {
		return err
	}
	if _, err := eval[bool](t, 10*time.Second, "bench.login()"); err != nil {
		return err
	}
	if _, err := t.wait("callback", time.Minute); err != nil {
		return err
	}
	if err := t.networkEvents(false); err != nil {
		return err
	}
	v, err := eval[json.RawMessage](t, 5*time.Minute, expr)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(os.Stdout, "%s\n", v)
	return err
}
