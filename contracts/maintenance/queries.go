package main

import (
	"errors"

	"github.com/plinthchain/plinth/contracts/sdk"
)

const maxPage = 100

func pageLimit(n int) int {
	if n <= 0 || n > maxPage {
		return maxPage
	}
	return n
}

// ConfigResponse is the admin, the funds held and how many of each
// thing exist.
type ConfigResponse struct {
	Config
	Totals
	Counters
}

func configQuery(ctx *sdk.Context, _ sdk.None) (ConfigResponse, error) {
	return ConfigResponse{Config: config.Get(ctx), Totals: totals.Get(ctx), Counters: counters.Get(ctx)}, nil
}

// AssetQuery names an asset.
type AssetQuery struct {
	Asset uint64 `json:"asset"`
}

func assetQuery(ctx *sdk.Context, m AssetQuery) (Asset, error) { return loadAsset(ctx, m.Asset) }

// PageMsg pages through ids in order: up to Limit (at most 100) after
// After.
type PageMsg struct {
	After uint64 `json:"after"`
	Limit int    `json:"limit"`
}

func assetList(ctx *sdk.Context, m PageMsg) ([]Asset, error) {
	limit := pageLimit(m.Limit)
	out := []Asset{}
	for _, a := range assets.Scan(ctx, sdk.Scan[uint64]{After: &m.After}) {
		if out = append(out, a); len(out) == limit {
			break
		}
	}
	return out, nil
}

func templateQuery(ctx *sdk.Context, m TemplateMsg) (Template, error) {
	return loadTemplate(ctx, m.Template)
}

// TemplatesMsg pages through the templates, of one asset (or all: 0), in
// id order.
type TemplatesMsg struct {
	Asset uint64 `json:"asset"`
	After uint64 `json:"after"`
	Limit int    `json:"limit"`
}

func templateList(ctx *sdk.Context, m TemplatesMsg) ([]Template, error) {
	limit := pageLimit(m.Limit)
	out := []Template{}
	if m.Asset == 0 {
		for _, t := range templates.Scan(ctx, sdk.Scan[uint64]{After: &m.After}) {
			if out = append(out, t); len(out) == limit {
				break
			}
		}
		return out, nil
	}
	prefix := be64(nil, m.Asset)
	after := string(be64(prefix, m.After))
	for k := range assetTemplates.Scan(ctx, sdk.Scan[string]{Prefix: prefix, After: &after}) {
		t, err := loadTemplate(ctx, keyID(k))
		if err != nil {
			return nil, err
		}
		if out = append(out, t); len(out) == limit {
			break
		}
	}
	return out, nil
}

func taskQuery(ctx *sdk.Context, m TaskMsg) (Task, error) { return loadTask(ctx, m.Task) }

// TasksMsg lists tasks in one state, of one asset or one template (or
// all), ordered by asset, template and task id; pass the last task's id
// as After for the next page.
type TasksMsg struct {
	// Status: due (open, unclaimed), overdue (open or claimed without
	// proof, past its deadline), claimed, review, completed (finalized)
	// or cancelled.
	Status   string `json:"status"`
	Asset    uint64 `json:"asset"`
	Template uint64 `json:"template"`
	After    uint64 `json:"after"`
	Limit    int    `json:"limit"`
}

func taskList(ctx *sdk.Context, m TasksMsg) ([]Task, error) {
	var letter byte
	switch m.Status {
	case "due":
		letter = statusLetter(statusOpen)
	case "overdue":
		letter = liveLetter
	case "claimed":
		letter = statusLetter(statusClaimed)
	case "review":
		letter = statusLetter(statusReview)
	case "completed":
		letter = statusLetter(statusDone)
	case "cancelled":
		letter = statusLetter(statusCancelled)
	default:
		return nil, errors.New("status: one of due, overdue, claimed, review, completed, cancelled")
	}
	prefix := []byte{letter}
	if m.Template != 0 {
		tpl, err := loadTemplate(ctx, m.Template)
		if err != nil {
			return nil, err
		}
		if m.Asset != 0 && m.Asset != tpl.Asset {
			return nil, errors.New("template " + u(tpl.ID) + " is not of asset " + u(m.Asset))
		}
		prefix = be64(be64(prefix, tpl.Asset), tpl.ID)
	} else if m.Asset != 0 {
		prefix = be64(prefix, m.Asset)
	}
	s := sdk.Scan[string]{Prefix: prefix}
	if m.After != 0 {
		t, err := loadTask(ctx, m.After)
		if err != nil {
			return nil, err
		}
		after := indexKey(letter, t.Asset, t.Template, t.ID)
		s.After = &after
	}
	limit := pageLimit(m.Limit)
	now := ctx.Block().Time
	out := []Task{}
	for k, deadline := range taskIndex.Scan(ctx, s) {
		if letter == liveLetter && deadline >= now {
			continue
		}
		t, err := loadTask(ctx, keyID(k))
		if err != nil {
			return nil, err
		}
		if out = append(out, t); len(out) == limit {
			break
		}
	}
	return out, nil
}

// OperatorMsg names an operator.
type OperatorMsg struct {
	Address sdk.Address `json:"address"`
}

// OperatorResponse is an operator's bond account.
type OperatorResponse struct {
	Address sdk.Address `json:"address"`
	Operator
}

func operatorQuery(ctx *sdk.Context, m OperatorMsg) (OperatorResponse, error) {
	return OperatorResponse{Address: m.Address, Operator: operators.Get(ctx, m.Address)}, nil
}

// OperatorTasksMsg pages through the tasks an operator holds or
// finished, in task id order.
type OperatorTasksMsg struct {
	Address sdk.Address `json:"address"`
	After   uint64      `json:"after"`
	Limit   int         `json:"limit"`
}

func operatorTaskList(ctx *sdk.Context, m OperatorTasksMsg) ([]Task, error) {
	limit := pageLimit(m.Limit)
	after := operatorTaskKey(m.Address, m.After)
	out := []Task{}
	for k := range operatorTasks.Scan(ctx, sdk.Scan[string]{Prefix: m.Address[:], After: &after}) {
		t, err := loadTask(ctx, keyID(k))
		if err != nil {
			return nil, err
		}
		if out = append(out, t); len(out) == limit {
			break
		}
	}
	return out, nil
}
