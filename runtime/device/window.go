package device

import (
	"fmt"
	"math/bits"

	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/state"
)

// maxWindow bounds the anti-replay window this code will keep, whatever
// the parameters say: the bitmap is rewritten on every attestation, and
// 2^16 bits is 8 KiB of it.
const maxWindow = 1 << 16

// window is a device's anti-replay state (docs/devices.md, "The
// anti-replay window"): the sequence numbers [Low, Low+W) are tracked,
// bit i of Seen (byte i/8, bit i%8) telling whether Low+i was accepted.
// Everything below Low is refused; anything at or above Low+W slides the
// window up so that it becomes the highest tracked number.
//
// History counts the device's entries in the history index, so that
// Submit knows when to drop one without counting them.
type window struct {
	_       struct{} `cbor:",toarray"`
	Low     uint64
	Seen    []byte
	History uint32
}

// loadWindow reads a device's window and fits it to w bits. The window
// parameter may change between parameter versions: a wider window tracks
// more numbers above the highest accepted one; a narrower one slides up
// until the highest accepted number is its top, forgetting (and so
// refusing) those that no longer fit.
func loadWindow(r state.Reader, dev ID, w uint32) (window, error) {
	if w == 0 || w > maxWindow {
		return window{}, fmt.Errorf("device: AttestationWindow %d outside [1, %d]", w, maxWindow)
	}
	var win window
	b, ok, err := r.Get(windowKey(dev))
	if err != nil {
		return window{}, err
	}
	if ok {
		if err := canon.Unmarshal(b, &win); err != nil {
			return window{}, fmt.Errorf("device: stored window of %s: %w", dev, err)
		}
	}
	win.fit(w)
	return win, nil
}

func (win *window) fit(w uint32) {
	if h, ok := win.highest(); ok && h >= uint64(w) {
		win.slide(h - uint64(w) + 1)
	}
	n := (int(w) + 7) / 8
	if len(win.Seen) > n {
		win.Seen = win.Seen[:n]
	}
	for len(win.Seen) < n {
		win.Seen = append(win.Seen, 0)
	}
	if r := w % 8; r != 0 {
		win.Seen[n-1] &= 1<<r - 1
	}
}

// highest returns the offset of the highest set bit.
func (win *window) highest() (uint64, bool) {
	for i := len(win.Seen) - 1; i >= 0; i-- {
		if b := win.Seen[i]; b != 0 {
			return uint64(i)*8 + uint64(7-bits.LeadingZeros8(b)), true
		}
	}
	return 0, false
}

func (win *window) bit(i uint64) bool { return win.Seen[i/8]&(1<<(i%8)) != 0 }

// check returns nil if seq may be accepted, with w the window's width.
func (win *window) check(seq uint64, w uint32) error {
	if seq < win.Low {
		return fmt.Errorf("%w: %d, window starts at %d", ErrSeqTooOld, seq, win.Low)
	}
	if off := seq - win.Low; off < uint64(w) && win.bit(off) {
		return fmt.Errorf("%w: %d", ErrReplay, seq)
	}
	return nil
}

// accept marks seq used (check must have passed), sliding the window up
// if seq lies above it.
func (win *window) accept(seq uint64, w uint32) {
	off := seq - win.Low
	if off >= uint64(w) {
		win.slide(off - uint64(w) + 1)
		off = uint64(w) - 1
	}
	win.Seen[off/8] |= 1 << (off % 8)
}

// slide moves Low up by k, dropping the bits of the numbers it passes.
func (win *window) slide(k uint64) {
	win.Low += k
	n := uint64(len(win.Seen))
	if k >= 8*n {
		clear(win.Seen)
		return
	}
	q, r := k/8, k%8
	for i := uint64(0); i < n; i++ {
		var v byte
		if i+q < n {
			v = win.Seen[i+q] >> r
		}
		if r != 0 && i+q+1 < n {
			v |= win.Seen[i+q+1] << (8 - r)
		}
		win.Seen[i] = v
	}
}

func putWindow(ws *state.WriteSet, dev ID, win *window) error {
	b, err := canon.Marshal(win)
	if err != nil {
		return fmt.Errorf("device: encode window of %s: %w", dev, err)
	}
	return ws.Set(windowKey(dev), b)
}
