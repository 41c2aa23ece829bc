package silentrefresh_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
)

func TestSilentRefreshHTMLPostsItsURLToTheSameOriginParentOnly(t *testing.T) {
	page := string(silentrefresh.HTML())
	if !strings.Contains(page, "window.parent.postMessage(u, o)") || !strings.Contains(page, "var u = location.href, o = location.origin;") {
		t.Errorf("the page does not post location.href with targetOrigin location.origin:\n%s", page)
	}
	if strings.Contains(page, "src=") || strings.Contains(page, ".wasm") || strings.Contains(page, `"*"`) {
		t.Errorf("the page loads something or posts to any origin:\n%s", page)
	}
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(scripts) != 1 {
		t.Fatalf("%d inline scripts, want 1", len(scripts))
	}
	sum := sha256.Sum256([]byte(scripts[0][1]))
	if want := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); silentrefresh.ScriptHash() != want {
		t.Errorf("ScriptHash() = %q, want %q", silentrefresh.ScriptHash(), want)
	}
	onDisk, err := os.ReadFile("silent-refresh.html")
	if err != nil || !bytes.Equal(onDisk, silentrefresh.HTML()) {
		t.Errorf("HTML() is not silent-refresh.html (make build copies that file to static/): %v", err)
	}
}

func TestHTMLReturnsACopy(t *testing.T) {
	b := silentrefresh.HTML()
	b[0] = 'X'
	if silentrefresh.HTML()[0] == 'X' {
		t.Fatal("HTML() hands out the embedded page itself")
	}
}

// TestREADMEGivesTheScriptHash: sites copy the CSP hash from the README;
// a changed page must change it there too.
func TestREADMEGivesTheScriptHash(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "'"+silentrefresh.ScriptHash()+"'") {
		t.Errorf("README.md does not give script-src '%s'", silentrefresh.ScriptHash())
	}
}
