package bench

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Symbol is a function of a WebAssembly module with the size of its body in
// the code section.
type Symbol struct {
	Name string
	Size int
}

// Module is what ReadWasm learns from a WebAssembly binary: the function
// symbols from the "name" custom section (present in Go builds without -s)
// and the sizes of the sections that hold everything else.
type Module struct {
	Size      int      // the whole file
	Code      int      // the code section
	Data      int      // the data section (Go's rodata, pclntab, type data, ...)
	Names     int      // the name custom section (dropped by -s)
	Other     int      // every other section and header
	Functions []Symbol // defined functions in code order; Name "" when unnamed
}

// ReadWasm parses the sections of a WebAssembly binary (the module format of
// the WebAssembly Core Specification 1.0, §5.5). It reads only what it needs:
// the import section to count imported functions, the code section for body
// sizes and the "name" section's function names (§7.4.1).
func ReadWasm(b []byte) (*Module, error) {
	if len(b) < 8 || !bytes.Equal(b[:4], []byte("\x00asm")) {
		return nil, errors.New("bench: not a WebAssembly binary")
	}
	m := &Module{Size: len(b), Other: 8}
	r := &reader{b: b, off: 8}
	imported := 0
	var names map[int]string
	for r.off < len(b) {
		start := r.off
		id := r.byte()
		n := r.u32()
		if r.err != nil || r.off+n > len(b) {
			return nil, fmt.Errorf("bench: section at offset %d is truncated", start)
		}
		sec := &reader{b: b[:r.off+n], off: r.off}
		r.off += n
		total := r.off - start
		switch id {
		case 0:
			name := sec.name()
			if name == "name" {
				m.Names += total
				var err error
				if names, err = readNameSection(sec); err != nil {
					return nil, err
				}
				continue
			}
			m.Other += total
		case 2:
			m.Other += total
			imported = countFuncImports(sec)
			if sec.err != nil {
				return nil, fmt.Errorf("bench: import section: %w", sec.err)
			}
		case 10:
			m.Code += total
			count := sec.u32()
			for i := 0; i < count && sec.err == nil; i++ {
				size := sec.u32()
				sec.off += size
				m.Functions = append(m.Functions, Symbol{Size: size})
			}
			if sec.err != nil {
				return nil, fmt.Errorf("bench: code section: %w", sec.err)
			}
		case 11:
			m.Data += total
		default:
			m.Other += total
		}
	}
	for i := range m.Functions {
		m.Functions[i].Name = names[imported+i]
	}
	return m, nil
}

// readNameSection returns the function names subsection (id 1) as index -> name.
func readNameSection(r *reader) (map[int]string, error) {
	names := map[int]string{}
	for r.off < len(r.b) && r.err == nil {
		id := r.byte()
		n := r.u32()
		end := r.off + n
		if id != 1 {
			r.off = end
			continue
		}
		count := r.u32()
		for i := 0; i < count && r.err == nil; i++ {
			idx := r.u32()
			names[idx] = r.name()
		}
		r.off = end
	}
	if r.err != nil {
		return nil, fmt.Errorf("bench: name section: %w", r.err)
	}
	return names, nil
}

// countFuncImports counts the imports of kind function (0).
func countFuncImports(r *reader) int {
	funcs := 0
	count := r.u32()
	for i := 0; i < count && r.err == nil; i++ {
		r.name()
		r.name()
		switch kind := r.byte(); kind {
		case 0: // func: type index
			r.u32()
			funcs++
		case 1: // table: reftype, limits
			r.byte()
			r.limits()
		case 2: // memory: limits
			r.limits()
		case 3: // global: valtype, mutability
			r.byte()
			r.byte()
		case 4: // tag: attribute, type index
			r.byte()
			r.u32()
		default:
			r.err = fmt.Errorf("import kind %d", kind)
		}
	}
	return funcs
}

// reader reads LEB128 numbers and names; the first error sticks.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) byte() byte {
	if r.err != nil || r.off >= len(r.b) {
		r.fail()
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) u32() int {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return int(v)
		}
	}
	r.err = errors.New("LEB128 number too long")
	return 0
}

func (r *reader) name() string {
	n := r.u32()
	if r.err != nil || r.off+n > len(r.b) {
		r.fail()
		return ""
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	return s
}

func (r *reader) limits() {
	flags := r.byte()
	r.u32()
	if flags&1 != 0 {
		r.u32()
	}
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errors.New("unexpected end of section")
	}
}

// WasmName is the name Go's linker gives a function in the name section: the
// symbol name with every character other than a letter, digit, '_' or '.'
// replaced by '_' (cmd/link/internal/wasm), so "net/http.(*Client).do"
// becomes "net_http.__Client_.do".
func WasmName(goName string) string {
	b := []byte(goName)
	for i, c := range b {
		if !(c == '_' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Has reports whether the module defines the Go function goName, e.g.
// "net/http.(*Client).do".
func (m *Module) Has(goName string) bool {
	name := WasmName(goName)
	return slices.ContainsFunc(m.Functions, func(s Symbol) bool { return s.Name == name })
}

// Largest returns the n largest functions, largest first.
func (m *Module) Largest(n int) []Symbol {
	s := slices.Clone(m.Functions)
	slices.SortStableFunc(s, func(a, b Symbol) int { return cmp.Compare(b.Size, a.Size) })
	return s[:min(n, len(s))]
}

// PackageSize is the code of one Go package.
type PackageSize struct {
	Package   string `json:"package"`
	Code      int    `json:"code"`
	Functions int    `json:"functions"`
}

// Packages maps function names back to Go packages. Function names in the
// name section lost their slashes (see WasmName), so the map is built from
// the package paths of the build (go list -deps).
type Packages struct {
	byWasm map[string]string // WasmName(path) -> path
}

// NewPackages returns the map for these package paths.
func NewPackages(paths []string) *Packages {
	p := &Packages{byWasm: map[string]string{}}
	for _, path := range paths {
		p.byWasm[WasmName(path)] = path
	}
	return p
}

// Of returns the package of a name-section function name: the longest known
// package whose name is followed by a dot. Linker-made functions
// ("type:.eq.[2]string") and unknown names go to "(linker)", unnamed ones to
// "(unnamed)".
func (p *Packages) Of(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] != '.' {
			continue
		}
		if path, ok := p.byWasm[name[:i]]; ok {
			return path
		}
	}
	return "(linker)"
}

// ByPackage sums function sizes per Go package, largest first.
func (m *Module) ByPackage(p *Packages) []PackageSize {
	sums := map[string]*PackageSize{}
	for _, f := range m.Functions {
		name := p.Of(f.Name)
		ps := sums[name]
		if ps == nil {
			ps = &PackageSize{Package: name}
			sums[name] = ps
		}
		ps.Code += f.Size
		ps.Functions++
	}
	out := make([]PackageSize, 0, len(sums))
	for _, ps := range sums {
		out = append(out, *ps)
	}
	slices.SortFunc(out, func(a, b PackageSize) int {
		return cmp.Or(cmp.Compare(b.Code, a.Code), strings.Compare(a.Package, b.Package))
	})
	return out
}
