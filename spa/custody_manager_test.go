package spa_test

import (
	"context"
	"strings"
	"testing"
)

// TestPendingResponseIsOnlyThisManagersAndUsesNothingUp: the worker of
// worker custody completes a callback only when the transaction is its own,
// and asking must not spend it.
func TestPendingResponseIsOnlyThisManagersAndUsesNothingUp(t *testing.T) {
	worker := newEnv(t)
	page := newEnv(t)
	back := worker.callbackURL("a")
	if !worker.m.PendingResponse(back) {
		t.Fatal("the worker's own response is not pending for it")
	}
	if page.m.PendingResponse(back) {
		t.Fatal("another manager's response is pending for the page")
	}
	forged := strings.Replace(back, "state=", "state=x", 1)
	for _, raw := range []string{forged, "https://app.example/cb", "https://app.example/cb?code=c", ""} {
		if worker.m.PendingResponse(raw) {
			t.Errorf("PendingResponse(%q) = true", raw)
		}
	}
	if !worker.m.PendingResponse(back) {
		t.Fatal("asking used the transaction up")
	}
	if _, err := worker.m.CheckAuth(context.Background(), back); err != nil {
		t.Fatalf("CheckAuth after PendingResponse: %v", err)
	}
	if worker.m.PendingResponse(back) {
		t.Fatal("a used response is still pending")
	}
	if !worker.m.IsAuthenticated("a") {
		t.Fatal("not signed in")
	}
}
