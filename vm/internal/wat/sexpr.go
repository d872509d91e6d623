// Package wat assembles the WebAssembly text format into binary modules so
// that tests can state their inputs as readable text instead of checked-in
// binaries or hand-built byte slices, without an external wat2wasm.
//
// Only the subset tests need is accepted: module fields with identifiers or
// numeric indices, inline exports, flat and folded instructions, and the
// immediates of every instruction in the wasm package's opcode table. The
// module is built as a wasm.Module and written by wasm.Encode, so the text
// assembler and the binary encoder cannot drift apart.
package wat

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is an assembly error with the 1-based line and byte column it
// points at, so a failing test names the offending spot in its source.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("wat: %d:%d: %s", e.Line, e.Col, e.Msg) }

type pos struct{ line, col int }

func errAt(p pos, format string, args ...any) error {
	return &Error{Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)}
}

// node is one s-expression: a parenthesized list, or an atom (keyword,
// number, $identifier) or a string literal, whose text holds the decoded
// bytes. end is where a list's closing parenthesis sits, so "missing"
// errors can point just past the last thing present.
type node struct {
	pos, end pos
	isList   bool
	list     []*node
	text     string
	str      bool
}

// head returns the keyword a list starts with, or "".
func (n *node) head() string {
	if n == nil || !n.isList || len(n.list) == 0 || n.list[0].isList || n.list[0].str {
		return ""
	}
	return n.list[0].text
}

// isID reports whether n is a $identifier.
func (n *node) isID() bool {
	return n != nil && !n.isList && !n.str && strings.HasPrefix(n.text, "$")
}

// describe names a node in error messages.
func (n *node) describe() string {
	switch {
	case n == nil:
		return "end of list"
	case n.isList && n.head() != "":
		return "(" + n.head() + " ...)"
	case n.isList:
		return "list"
	case n.str:
		return "string " + strconv.Quote(n.text)
	}
	return strconv.Quote(n.text)
}

// parse reads all top-level s-expressions of src.
func parse(src string) ([]*node, error) {
	l := &lexer{src: src, line: 1, col: 1}
	var stack []*node
	top := &node{isList: true}
	cur := top
	for {
		if err := l.skipSpace(); err != nil {
			return nil, err
		}
		if l.i >= len(l.src) {
			break
		}
		p := l.pos()
		switch c := l.src[l.i]; c {
		case '(':
			l.advance(1)
			n := &node{pos: p, isList: true}
			cur.list = append(cur.list, n)
			stack = append(stack, cur)
			cur = n
		case ')':
			if len(stack) == 0 {
				return nil, errAt(p, "unbalanced parentheses: unexpected )")
			}
			l.advance(1)
			cur.end = p
			cur = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		case '"':
			s, err := l.str()
			if err != nil {
				return nil, err
			}
			cur.list = append(cur.list, &node{pos: p, text: s, str: true})
		default:
			start := l.i
			for l.i < len(l.src) && !isDelimiter(l.src[l.i]) {
				l.advance(1)
			}
			if l.i == start {
				return nil, errAt(p, "unexpected character %q", c)
			}
			cur.list = append(cur.list, &node{pos: p, text: l.src[start:l.i]})
		}
	}
	if len(stack) > 0 {
		return nil, errAt(cur.pos, "unbalanced parentheses: ( is never closed")
	}
	return top.list, nil
}

// isDelimiter ends an atom: the spec's token separators.
func isDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '(', ')', '"', ';':
		return true
	}
	return false
}

type lexer struct {
	src       string
	i         int
	line, col int
}

func (l *lexer) pos() pos { return pos{l.line, l.col} }

func (l *lexer) advance(n int) {
	for ; n > 0 && l.i < len(l.src); n-- {
		if l.src[l.i] == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		l.i++
	}
}

// skipSpace skips white space, line comments and (nesting) block comments.
func (l *lexer) skipSpace() error {
	for l.i < len(l.src) {
		switch {
		case strings.ContainsRune(" \t\n\r", rune(l.src[l.i])):
			l.advance(1)
		case strings.HasPrefix(l.src[l.i:], ";;"):
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.advance(1)
			}
		case strings.HasPrefix(l.src[l.i:], "(;"):
			start := l.pos()
			depth := 0
			for {
				if l.i >= len(l.src) {
					return errAt(start, "unterminated block comment")
				}
				if strings.HasPrefix(l.src[l.i:], "(;") {
					depth++
					l.advance(2)
				} else if strings.HasPrefix(l.src[l.i:], ";)") {
					depth--
					l.advance(2)
					if depth == 0 {
						break
					}
				} else {
					l.advance(1)
				}
			}
		case strings.HasPrefix(l.src[l.i:], ";)"):
			return errAt(l.pos(), "unexpected ;) outside a block comment")
		default:
			return nil
		}
	}
	return nil
}

// str reads a string literal and returns its bytes. Strings are byte
// strings in the text format (data segments hold arbitrary bytes), so
// \hh escapes produce single bytes, not code points.
func (l *lexer) str() (string, error) {
	start := l.pos()
	l.advance(1)
	var b []byte
	for {
		if l.i >= len(l.src) || l.src[l.i] == '\n' {
			return "", errAt(start, "unterminated string")
		}
		c := l.src[l.i]
		switch {
		case c == '"':
			l.advance(1)
			return string(b), nil
		case c < 0x20 || c == 0x7F:
			return "", errAt(l.pos(), "control character 0x%02x in string", c)
		case c != '\\':
			b = append(b, c)
			l.advance(1)
			continue
		}
		esc := l.pos()
		l.advance(1)
		if l.i >= len(l.src) {
			return "", errAt(start, "unterminated string")
		}
		switch c := l.src[l.i]; c {
		case 't':
			b = append(b, '\t')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case '"', '\'', '\\':
			b = append(b, c)
		case 'u':
			end := strings.IndexByte(l.src[l.i:], '}')
			if !strings.HasPrefix(l.src[l.i:], "u{") || end < 0 {
				return "", errAt(esc, "malformed \\u{...} escape")
			}
			v, err := strconv.ParseUint(strings.ReplaceAll(l.src[l.i+2:l.i+end], "_", ""), 16, 32)
			if err != nil || !utf8.ValidRune(rune(v)) {
				return "", errAt(esc, "malformed \\u{...} escape")
			}
			b = utf8.AppendRune(b, rune(v))
			l.advance(end)
		default:
			if l.i+1 >= len(l.src) || !isHex(c) || !isHex(l.src[l.i+1]) {
				return "", errAt(esc, "unknown escape \\%c in string", c)
			}
			v, _ := strconv.ParseUint(l.src[l.i:l.i+2], 16, 8)
			b = append(b, byte(v))
			l.advance(1)
		}
		l.advance(1)
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// cursor walks the items of one list. Parsers take what they recognise
// from the front and leave the rest, which is how optional parts of the
// grammar (an identifier, inline exports, a type use) are handled.
type cursor struct {
	items []*node
	i     int
	end   pos // the closing parenthesis, for errors about missing items
}

func listCursor(n *node, from int) *cursor { return &cursor{items: n.list, i: from, end: n.end} }

func (c *cursor) done() bool { return c.i >= len(c.items) }

func (c *cursor) peek() *node {
	if c.done() {
		return nil
	}
	return c.items[c.i]
}

// peekAt looks k items ahead.
func (c *cursor) peekAt(k int) *node {
	if c.i+k >= len(c.items) {
		return nil
	}
	return c.items[c.i+k]
}

func (c *cursor) next() *node {
	n := c.peek()
	if n != nil {
		c.i++
	}
	return n
}

// here is the position of the next item, or of the closing parenthesis.
func (c *cursor) here() pos {
	if n := c.peek(); n != nil {
		return n.pos
	}
	return c.end
}

// peekList reports whether the next item is a list starting with keyword.
func (c *cursor) peekList(keyword string) bool { return c.peek().head() == keyword }

// peekAtom reports whether the next item is the plain atom text.
func (c *cursor) peekAtom(text string) bool {
	n := c.peek()
	return n != nil && !n.isList && !n.str && n.text == text
}

// optID takes a $identifier if one is next.
func (c *cursor) optID() *node {
	if c.peek().isID() {
		return c.next()
	}
	return nil
}

// str takes a string literal.
func (c *cursor) str(what string) (string, error) {
	n := c.peek()
	if n == nil || !n.str {
		return "", errAt(c.here(), "expected %s string, found %s", what, n.describe())
	}
	c.i++
	return n.text, nil
}

// atom takes a plain atom (not a list, not a string).
func (c *cursor) atom(what string) (*node, error) {
	n := c.peek()
	if n == nil || n.isList || n.str {
		return nil, errAt(c.here(), "expected %s, found %s", what, n.describe())
	}
	c.i++
	return n, nil
}

// close fails if anything is left in the list.
func (c *cursor) close(what string) error {
	if n := c.peek(); n != nil {
		return errAt(n.pos, "unexpected %s in %s", n.describe(), what)
	}
	return nil
}

// Numbers. The text format's number syntax differs from Go's (no octal, no
// 0b, underscores only between digits, nan payloads), so literals are
// checked here and only the digit conversion is left to strconv.

// digits strips an optional 0x prefix and the underscores of a digit
// string, checking that every underscore sits between two digits.
func digits(s string) (clean string, base int, ok bool) {
	base = 10
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		s, base = s[2:], 16
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return "", 0, false
	}
	return strings.ReplaceAll(s, "_", ""), base, true
}

// parseUint reads an unsigned literal of at most bits bits.
func parseUint(s string, bits int) (uint64, bool) {
	d, base, ok := digits(s)
	if !ok {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if base == 10 && !('0' <= d[i] && d[i] <= '9') || base == 16 && !isHex(d[i]) {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(d, base, bits)
	return v, err == nil
}

// parseInt reads an iN constant: signed values down to -2^(N-1) or
// unsigned ones up to 2^N-1, returned as the N-bit pattern sign-extended to
// 64 bits, which is how wasm.Instr holds integer immediates.
func parseInt(s string, bits int) (uint64, bool) {
	neg := strings.HasPrefix(s, "-")
	if neg || strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	v, ok := parseUint(s, bits)
	if !ok {
		return 0, false
	}
	if neg {
		if v > 1<<(bits-1) {
			return 0, false
		}
		v = -v
	}
	if bits == 32 {
		return uint64(int64(int32(uint32(v)))), true
	}
	return v, true
}

// parseFloat reads an fN constant and returns its IEEE 754 bits.
func parseFloat(s string, bits int) (uint64, bool) {
	mantBits := 52
	if bits == 32 {
		mantBits = 23
	}
	expMask := uint64(1)<<(bits-1) - 1<<mantBits // all exponent bits set
	var sign uint64
	body := s
	if strings.HasPrefix(body, "-") {
		sign = 1 << (bits - 1)
		body = body[1:]
	} else if strings.HasPrefix(body, "+") {
		body = body[1:]
	}
	switch {
	case body == "inf":
		return sign | expMask, true
	case body == "nan":
		return sign | expMask | 1<<(mantBits-1), true
	case strings.HasPrefix(body, "nan:0x"):
		payload, ok := parseUint(body[4:], 64)
		if !ok || payload == 0 || payload >= 1<<mantBits {
			return 0, false
		}
		return sign | expMask | payload, true
	}
	hex := strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X")
	if hex {
		body = body[2:]
	}
	// Check the shape: digits, an optional fraction, an optional exponent,
	// each digit group with underscores only between digits.
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' || hex && isHex(c) }
	expChar := "eE"
	if hex {
		expChar = "pP"
	}
	mant, exp, hasExp := body, "", false
	if i := strings.IndexAny(body, expChar); i >= 0 {
		mant, exp, hasExp = body[:i], body[i+1:], true
	}
	intPart, frac, hasFrac := strings.Cut(mant, ".")
	group := func(g string, digit func(byte) bool, optional bool) bool {
		if g == "" {
			return optional
		}
		if g[0] == '_' || g[len(g)-1] == '_' || strings.Contains(g, "__") {
			return false
		}
		for i := 0; i < len(g); i++ {
			if g[i] != '_' && !digit(g[i]) {
				return false
			}
		}
		return true
	}
	if !group(intPart, isDigit, false) || hasFrac && !group(frac, isDigit, true) {
		return 0, false
	}
	if hasExp {
		e := strings.TrimLeft(exp, "+-")
		if len(exp)-len(e) > 1 || !group(e, func(c byte) bool { return '0' <= c && c <= '9' }, false) {
			return 0, false
		}
	}
	lit := strings.ReplaceAll(body, "_", "")
	if hex {
		lit = "0x" + lit
		if !hasExp {
			lit += "p0" // Go insists on a binary exponent for hex floats
		}
	}
	f, err := strconv.ParseFloat(lit, bits)
	if err != nil {
		return 0, false // overflow to infinity is an error in the text format
	}
	if bits == 32 {
		return sign | uint64(math.Float32bits(float32(f))), true
	}
	return sign | math.Float64bits(f), true
}
