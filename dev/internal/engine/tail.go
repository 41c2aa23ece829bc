package engine

import (
	"io"
	"sync"
)

// tail keeps the last max bytes written to it, to show a browser's output
// when something goes wrong.
type tail struct {
	max int
	mu  sync.Mutex
	b   []byte
}

var _ io.Writer = (*tail)(nil)

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

// String is empty, or the output on lines of its own after a newline.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.b) == 0 {
		return ""
	}
	return "\nthe browser's output:\n" + string(t.b)
}
