package sdk

import (
	"encoding/json"
	"errors"
	"strconv"
)

// Handler is one method of a contract: it reads the call's input and
// returns its value, or an error that aborts the call (the receipt's
// message is the error's text). Build one with Exec, Query or Raw.
type Handler struct {
	fn       func(*Context, []byte) ([]byte, error)
	readOnly bool
}

// ReadOnly reports whether the handler was declared with Query: sdktest
// runs such a handler read-only even inside a transaction, so a query
// that writes fails its tests. (On chain, only a query call is read-only.)
func (h Handler) ReadOnly() bool { return h.readOnly }

// None is the input or output of a method that takes or returns nothing;
// it is the JSON object {}.
type None struct{}

// Exec makes a transaction method of f, with JSON input and output. An
// empty input decodes as In's zero value, so a method without
// parameters can be called with no input at all.
func Exec[In, Out any](f func(*Context, In) (Out, error)) Handler {
	return Handler{fn: jsonHandler(f)}
}

// Query makes a read-only method of f, with JSON input and output.
func Query[In, Out any](f func(*Context, In) (Out, error)) Handler {
	return Handler{fn: jsonHandler(f), readOnly: true}
}

// Raw makes a method of f that handles its own encoding.
func Raw(f func(*Context, []byte) ([]byte, error)) Handler {
	return Handler{fn: f}
}

// ErrInput wraps a method input that is not the JSON its handler takes.
var ErrInput = errors.New("bad input")

// warm encodes and decodes T's zero value once, so that encoding/json
// has built its codec for T (and the types inside it) already.
// Constructors call it while the package initializes: at deploy, where
// pre-initialization keeps the resulting memory for every later call
// (docs/abi.md). Without it every call would rebuild the codec of each
// type it touches, about 100,000 gas per struct field.
func warm[T any]() {
	defer func() { _ = recover() }() // a type whose zero value does not encode just stays cold
	var v T
	if b, err := json.Marshal(v); err == nil {
		_ = json.Unmarshal(b, &v)
	}
}

func jsonHandler[In, Out any](f func(*Context, In) (Out, error)) func(*Context, []byte) ([]byte, error) {
	warm[In]()
	warm[Out]()
	return func(ctx *Context, input []byte) ([]byte, error) {
		var in In
		if len(input) > 0 {
			if err := json.Unmarshal(input, &in); err != nil {
				return nil, errors.Join(ErrInput, err)
			}
		}
		out, err := f(ctx, in)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
}

// Contract is a contract's methods by export name. "init" runs once at
// instantiation and "migrate" when the contract moves to new code; any
// other name is a method transactions and other contracts may call.
//
// The Go toolchain exports only functions marked //go:wasmexport, so each
// method also needs a one-line export that runs it:
//
//	//go:wasmexport increment
//	func increment() { contract.Run("increment") }
//
// Native tests (sdktest) call the methods through this table instead.
type Contract struct {
	Methods map[string]Handler
}

// Run executes method on the real host; it is what a wasm export calls.
func (c *Contract) Run(method string) { c.Execute(defaultHost(), method) }

// Ended is what a native Host panics with to end a call, as the real host
// traps: Execute lets it through rather than reporting it as the
// contract's own panic. Code is the receipt code (docs/protocol.md).
type Ended struct {
	Code    uint32
	Message string
}

// Execute runs method on h: it reads the input, calls the handler and
// returns its value, or aborts with its error. A panic in the handler
// aborts the call with the panic's value as the message.
func (c *Contract) Execute(h Host, method string) {
	hd, ok := c.Methods[method]
	if !ok {
		h.Abort("no method " + strconv.Quote(method))
		return
	}
	ctx := &Context{host: h, readOnly: hd.readOnly}
	out, err := c.call(ctx, hd, h.Input())
	if err != nil {
		h.Abort(err.Error())
		return
	}
	h.Return(out)
}

func (c *Contract) call(ctx *Context, hd Handler, input []byte) (out []byte, err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if _, ok := r.(Ended); ok {
			panic(r)
		}
		err = errors.New("panic: " + panicText(r))
	}()
	return hd.fn(ctx, input)
}

func panicText(r any) string {
	switch v := r.(type) {
	case error:
		return v.Error()
	case string:
		return v
	default:
		return "non-error value"
	}
}
