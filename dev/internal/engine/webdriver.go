package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// wdClient speaks classic WebDriver (W3C WebDriver, HTTP and JSON) to one
// session of a WebDriver server.
type wdClient struct {
	base    string // http://127.0.0.1:PORT
	session string
	http    *http.Client
}

// wdError is a WebDriver error answer (W3C WebDriver, "Errors").
type wdError struct {
	Status  int
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *wdError) Error() string {
	return fmt.Sprintf("webdriver %d %s: %s", e.Status, e.Code, e.Message)
}

// do sends method path with body (JSON, nil for none) and decodes the
// answer's value into res (when not nil). path is under the session unless
// it starts with "/".
func (c *wdClient) do(ctx context.Context, method, path string, body, res any) error {
	u := c.base + path
	if !strings.HasPrefix(path, "/") {
		u = c.base + "/session/" + c.session + "/" + path
	}
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	} else if method == http.MethodPost {
		r = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("webdriver %s %s: %d %.200s", method, path, resp.StatusCode, data)
	}
	if resp.StatusCode != http.StatusOK {
		e := &wdError{Status: resp.StatusCode}
		json.Unmarshal(env.Value, e)
		return e
	}
	if res != nil {
		return json.Unmarshal(env.Value, res)
	}
	return nil
}

// wdElementKey is the key of a web element reference (W3C WebDriver,
// "Elements").
const wdElementKey = "element-6066-11e4-a52e-4f735466cecf"

type wdElement map[string]string

func (e wdElement) id() string { return e[wdElementKey] }
