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

// Streamer is a Backend that can stream: Subscribe returns a channel of
// events and a function to stop; the channel closes when the subscriber
// falls too far behind (it reconnects) or stops.
type Streamer interface {
	Subscribe() (<-chan StreamEvent, func())
}

// stream serves GET /v1/events?contract=ADDR&type=T as server-sent
// events: "block" for every block, "contract_event" for contracts'
// events, filtered by contract and event type when given.
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
	typ := r.URL.Query().Get("type")
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, fmt.Errorf("streaming unsupported"))
		return
	}
	events, stop := st.Subscribe()
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
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Kind == "contract_event" && (contract != nil && *ev.Contract != *contract || typ != "" && ev.Event.Type != typ) {
				continue
			}
			if ev.Kind == "block" && (contract != nil || typ != "") {
				continue // a filtered stream carries only the events asked for
			}
			b, err := json.Marshal(ev)
			if err != nil {
				return
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Kind, b); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}
