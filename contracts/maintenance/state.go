package main

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// Config is the contract's settings: the admin (in production, the
// community's governance contract), who registers assets and templates,
// funds and cancels, disputes, and spends the treasury.
type Config struct {
	Admin sdk.Address `json:"admin"`
}

// Totals is what the contract's native balance is made of, exactly:
// balance = Escrow + Bonds + Treasury, after every call.
type Totals struct {
	// Escrow is the rewards held: the templates' unreserved escrow plus
	// the rewards reserved by tasks not yet finalized or cancelled.
	Escrow sdk.Amount `json:"escrow"`
	// Bonds is what operators posted: their free bonds plus the bonds
	// locked by the tasks they hold.
	Bonds sdk.Amount `json:"bonds"`
	// Treasury is the slashed bonds, which only the admin may spend.
	Treasury sdk.Amount `json:"treasury"`
}

// Counters number assets, templates and tasks from 1.
type Counters struct {
	Assets    uint64 `json:"assets"`
	Templates uint64 `json:"templates"`
	Tasks     uint64 `json:"tasks"`
}

// Asset is a physical asset and the registered devices that observe it.
type Asset struct {
	ID      uint64         `json:"id"`
	Name    string         `json:"name"`
	Devices []sdk.DeviceID `json:"devices"`
	Created uint64         `json:"created"` // block time, ms
}

// Usage makes a template's tasks fall due by attested usage: Device's
// attestations of Kind carry a cumulative counter in their payload, the
// JSON object {Field: "decimal"}; a task opens each time the counter
// reaches the next threshold Start + k×Every.
type Usage struct {
	Device sdk.DeviceID `json:"device"`
	Kind   string       `json:"kind"`
	Field  string       `json:"field"`
	Every  uint64       `json:"every"`
	Start  uint64       `json:"start"`
}

// TemplateSpec is what the admin sets when adding a template; it never
// changes afterwards (but Active).
type TemplateSpec struct {
	Asset uint64 `json:"asset"`
	Name  string `json:"name"`
	// Interval (ms of block time) or Usage: exactly one.
	Interval uint64 `json:"interval,omitempty"`
	Usage    *Usage `json:"usage,omitempty"`
	// Grace is how long after a task falls due it may still be proven (ms).
	Grace uint64 `json:"grace"`
	// DisputeWindow is how long a proven (and inspected) task may be
	// disputed before anyone may finalize it (ms).
	DisputeWindow uint64     `json:"dispute_window"`
	Reward        sdk.Amount `json:"reward"`
	Bond          sdk.Amount `json:"bond"`
	// ProofKind is the attestation kind that proves a task done.
	ProofKind string `json:"proof_kind"`
	// Inspector, if set, must approve each task (inspect_task).
	Inspector *sdk.Address `json:"inspector,omitempty"`
}

// Template is a recurring maintenance task of an asset.
type Template struct {
	ID uint64 `json:"id"`
	TemplateSpec
	// Active templates open tasks; inactive ones keep their open tasks.
	Active bool `json:"active"`
	// Escrow is the template's unreserved reward funds; each task it opens
	// reserves Reward out of it.
	Escrow sdk.Amount `json:"escrow"`
	// LastOpened is the block time the template's last task opened (its
	// creation before the first): by time, the next falls due Interval
	// after it.
	LastOpened uint64 `json:"last_opened"`
	// By usage: the counter that opened the last task (Start before the
	// first), and the threshold that opens the next.
	LastCounter   uint64 `json:"last_counter,omitempty"`
	NextThreshold uint64 `json:"next_threshold,omitempty"`
	// Opened counts the tasks opened.
	Opened uint64 `json:"opened"`
}

// Task statuses.
const (
	statusOpen      = "open"      // due, waiting for an operator
	statusClaimed   = "claimed"   // an operator's bond is locked; proof (and inspection) pending
	statusReview    = "review"    // proven and inspected: in the dispute window
	statusDone      = "done"      // finalized: the reward paid, the bond returned
	statusCancelled = "cancelled" // the admin withdrew it before a claim
)

// Task is one occurrence of a template.
type Task struct {
	ID       uint64     `json:"id"`
	Template uint64     `json:"template"`
	Asset    uint64     `json:"asset"`
	Status   string     `json:"status"`
	Reward   sdk.Amount `json:"reward"` // reserved in escrow until finalized or cancelled
	Bond     sdk.Amount `json:"bond"`   // what a claim locks
	// The template's rules, copied at opening so that handling a task
	// never reads its template (templates do not change but for escrow
	// and Active; a copy saves decoding one in every call).
	Grace         uint64       `json:"grace"`
	DisputeWindow uint64       `json:"dispute_window"`
	ProofKind     string       `json:"proof_kind"`
	Inspector     *sdk.Address `json:"inspector,omitempty"`
	// Opened is when the task first opened; Due when it (last) fell due:
	// its opening, a claim that renewed it after its deadline, or a
	// reopening after a slash. Deadline is Due + the template's grace.
	Opened   uint64 `json:"opened"`
	Due      uint64 `json:"due"`
	Deadline uint64 `json:"deadline"`
	// Counter and Reading are the usage reading that opened it.
	Counter  uint64         `json:"counter,omitempty"`
	Reading  *AttestationID `json:"reading,omitempty"`
	Operator *sdk.Address   `json:"operator,omitempty"`
	// Proof is the attestation that proved it done.
	Proof      *AttestationID `json:"proof,omitempty"`
	Inspected  bool           `json:"inspected"`
	ReviewEnds uint64         `json:"review_ends,omitempty"`
	Finalized  uint64         `json:"finalized,omitempty"`
	// Slashes counts the bonds slashed on it (overdue or disputed).
	Slashes uint32 `json:"slashes"`
}

// Operator is an address's bond account.
type Operator struct {
	Bond    sdk.Amount `json:"bond"`   // free: may claim or withdraw
	Locked  sdk.Amount `json:"locked"` // held by claimed tasks
	Done    uint64     `json:"done"`   // tasks finalized
	Slashed sdk.Amount `json:"slashed"`
}

// AttestationID is an attestation's id: 64 hex digits in JSON.
type AttestationID [32]byte

func (a AttestationID) String() string { return hex.EncodeToString(a[:]) }

func (a AttestationID) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

func (a *AttestationID) UnmarshalText(b []byte) error {
	if len(b) != 64 {
		return errors.New("an attestation id is 64 hex digits")
	}
	_, err := hex.Decode(a[:], b)
	return err
}

var (
	config    = sdk.NewItem[Config]("config")
	totals    = sdk.NewItem[Totals]("totals")
	counters  = sdk.NewItem[Counters]("counters")
	assets    = sdk.NewMap[uint64, Asset]("assets")
	templates = sdk.NewMap[uint64, Template]("templates")
	tasks     = sdk.NewMap[uint64, Task]("tasks")
	operators = sdk.NewMap[sdk.Address, Operator]("operators")
	// used: attestation id → the task it opened or proved; each id once.
	used = sdk.NewMap[[32]byte, uint64]("used")
	// assetTemplates: asset ‖ template (u64 big-endian each).
	assetTemplates = sdk.NewMap[string, bool]("asset_templates")
	// taskIndex: list letter ‖ asset ‖ template ‖ task → the task's
	// deadline. Letters: the status's (o, c, r, f, x) and l for the live
	// tasks (open, or claimed without proof), which can become overdue.
	taskIndex = sdk.NewMap[string, uint64]("task_index")
	// operatorTasks: operator ‖ task, for the tasks an operator holds or
	// finished (a slash removes the entry).
	operatorTasks = sdk.NewMap[string, bool]("operator_tasks")
)

// statusLetter is a status's list in taskIndex.
func statusLetter(status string) byte {
	switch status {
	case statusOpen:
		return 'o'
	case statusClaimed:
		return 'c'
	case statusReview:
		return 'r'
	case statusDone:
		return 'f'
	}
	return 'x'
}

const liveLetter = 'l'

func be64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

func indexKey(letter byte, asset, template, task uint64) string {
	return string(be64(be64(be64([]byte{letter}, asset), template), task))
}

// indexKeys are the lists t is on.
func indexKeys(t *Task) []string {
	keys := []string{indexKey(statusLetter(t.Status), t.Asset, t.Template, t.ID)}
	if t.Status == statusOpen || (t.Status == statusClaimed && t.Proof == nil) {
		keys = append(keys, indexKey(liveLetter, t.Asset, t.Template, t.ID))
	}
	return keys
}

// saveTask stores t and moves it from the lists of before (indexKeys of
// t as loaded) to its lists now.
func saveTask(ctx *sdk.Context, t *Task, before []string) {
	now := indexKeys(t)
	for _, k := range before {
		if k != now[0] && (len(now) < 2 || k != now[1]) {
			taskIndex.Remove(ctx, k)
		}
	}
	for _, k := range now {
		taskIndex.Save(ctx, k, t.Deadline)
	}
	tasks.Save(ctx, t.ID, *t)
}

func operatorTaskKey(op sdk.Address, task uint64) string { return string(be64(op[:], task)) }

func keyID(k string) uint64 { return binary.BigEndian.Uint64([]byte(k[len(k)-8:])) }

func u(v uint64) string { return strconv.FormatUint(v, 10) }
