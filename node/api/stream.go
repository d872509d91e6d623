package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/plinthchain/plinth/runtime/address"
)

// StreamEvent is one server-sent event: a committed block, or an event a
// contract emitted in one.
type StreamEvent struct {
	// Kind is "block" or "contract_event".
	Kind  string `json:"-"`
	Block *Block `json:"block,omitempty"`
	// For contract events:
	Height   uint64           `json:"height,omitempty"`
	TxHash   Hex              `json:"tx_hash,omitempty"`
	Contract *address.Address `json:"contract,omitempty"`
	Event    *Event           `json:"event,omitempty"`
}

// StreamFilter selects what a subscriber receives. The node applies it
// before buffering, so a subscriber that asked for blocks only is not
// flooded (and dropped) by the contract events of busy blocks.
type StreamFilter struct {
	// Kind is "block", "contract_event", or empty for both.
	Kind string
	// Contract and Type, when set, select contract events by emitter and
	// event type (and exclude blocks).
	Contract *address.Address
	Type     string
}

// Match reports whether f selects ev.
func (f StreamFilter) Match(ev StreamEvent) bool {
	switch ev.Kind {
	case "block":
		return (f.Kind == "" || f.Kind == "block") && f.Contract == nil && f.Type == ""
	case "contract_event":
		return (f.Kind == "" || f.Kind == "contract_event") &&
			(f.Contract == nil || *ev.Contract == *f.Contract) && (f.Type == "" || ev.Event.Type == f.Type)
	}
	return false
}

// Streamer is a Backend that can stream: Subscribe returns a channel
// carrying, per committed block, the events f selects, and a function to
// stop. The channel closes when the subscriber falls too far behind; the
// stream then says so (event "dropped") and the client reconnects.
type Streamer interface {
	Subscribe(f StreamFilter) (<-chan []StreamEvent, func())
}

// stream serves GET /v1/events?kind=K&contract=ADDR&type=T as server-sent
// events: "block" for every block, "contract_event" for contracts'
// events; kind=block or kind=contract_event selects one, contract and
// type filter contract events.
func (s *server) stream(w http.ResponseWriter, r *http.Request) {
	st, ok := s.b.(Streamer)
	if !ok {
		writeError(w, http.StatusNotImplemented, fmt.Errorf("this node does not stream"))
		return
	}
	var contract *address.Address
	if c := r.URL.Query().Get("contract"); c != "" {
		a, err := address.Parse(c)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		contract = &a
	}
	f := StreamFilter{Kind: r.URL.Query().Get("kind"), Contract: contract, Type: r.URL.Query().Get("type")}
	switch {
	case f.Kind != "" && f.Kind != "block" && f.Kind != "contract_event":
		writeError(w, http.StatusBadRequest, fmt.Errorf("kind %q: block or contract_event", f.Kind))
		return
	case f.Kind == "block" && (f.Contract != nil || f.Type != ""):
		writeError(w, http.StatusBadRequest, fmt.Errorf("kind=block takes no contract or type filter"))
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, fmt.Errorf("streaming unsupported"))
		return
	}
	batches, stop := st.Subscribe(f)
	defer stop()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	// The stream outlives the API's per-request timeout: it ends when the
	// client goes, the node stops, or it falls behind.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	for {
		select {
		case <-r.Context().Done():
			return
		case evs, ok := <-batches:
			if !ok {
				// Dropped for falling behind: say so, so the client
				// reconnects (and catches up from /v1/blocks).
				fmt.Fprintf(w, "event: dropped\ndata: {\"error\": \"the stream fell too far behind; reconnect\"}\n\n")
				flusher.Flush()
				return
			}
			for _, ev := range evs {
				b, err := json.Marshal(ev)
				if err != nil {
					return
				}
				if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Kind, b); err != nil {
					return
				}
			}
			flusher.Flush()
		}
	}
}
