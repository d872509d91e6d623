// Governance is how a community decides: proposals carrying the actions
// to take if they pass — chain parameter and validator changes through
// the privileged system calls, treasury spends, calls to the community's
// contracts (a new maintenance operator, a tariff), migrations of
// contracts it administers — voted on with the shares of an ownership
// contract at the proposal's snapshot (or one member, one vote), under a
// quorum, a threshold and a veto, with a deposit, a voting period, a
// timelock and an execution window. Its own rules and members change only
// by proposal. README.md lists the messages.
package main

import (
	"errors"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// InitMsg sets the rules; with Shares unset, Members vote one each.
type InitMsg struct {
	Config
	Members []sdk.Address `json:"members"`
}

func (c *Config) check() error {
	switch {
	case c.VotingPeriod == 0:
		return errors.New("voting_period must be positive")
	case c.ExecutionWindow == 0:
		return errors.New("execution_window must be positive")
	case c.Quorum > 10_000 || c.Threshold > 10_000 || c.Veto > 10_000:
		return errors.New("quorum, threshold and veto are basis points: at most 10000")
	case c.Threshold == 0:
		return errors.New("threshold must be positive")
	}
	return nil
}

func initialize(ctx *sdk.Context, m InitMsg) (sdk.None, error) {
	if err := m.Config.check(); err != nil {
		return sdk.None{}, err
	}
	if (m.Shares == nil) == (len(m.Members) == 0) {
		return sdk.None{}, errors.New("give either shares (an ownership contract) or members, not both")
	}
	config.Save(ctx, m.Config)
	for _, a := range m.Members {
		if err := addMemberAt(ctx, a, 0); err != nil {
			return sdk.None{}, err
		}
	}
	return sdk.None{}, nil
}

func addMemberAt(ctx *sdk.Context, a sdk.Address, since uint64) error {
	if members.Has(ctx, a) {
		return errors.New(a.String() + " is already a member")
	}
	members.Save(ctx, a, Member{Since: since})
	count.Save(ctx, count.Get(ctx)+1)
	ctx.Emit("member_add", sdk.Attr("address", a.String()))
	return nil
}

// updateConfig replaces the rules; only a passed proposal may.
func updateConfig(ctx *sdk.Context, c Config) (sdk.None, error) {
	if err := onlySelf(ctx); err != nil {
		return sdk.None{}, err
	}
	if err := c.check(); err != nil {
		return sdk.None{}, err
	}
	if (c.Shares == nil) != (config.Get(ctx).Shares == nil) {
		return sdk.None{}, errors.New("the kind of voting (shares or members) cannot change")
	}
	config.Save(ctx, c)
	ctx.Emit("update_config")
	return sdk.None{}, nil
}

// MemberMsg names a member.
type MemberMsg struct {
	Address sdk.Address `json:"address"`
}

// addMember admits a member, who votes on proposals made after this
// block; only a passed proposal may.
func addMember(ctx *sdk.Context, m MemberMsg) (sdk.None, error) {
	if err := onlySelf(ctx); err != nil {
		return sdk.None{}, err
	}
	return sdk.None{}, addMemberAt(ctx, m.Address, ctx.Block().Height)
}

func removeMember(ctx *sdk.Context, m MemberMsg) (sdk.None, error) {
	if err := onlySelf(ctx); err != nil {
		return sdk.None{}, err
	}
	if !members.Remove(ctx, m.Address) {
		return sdk.None{}, errors.New(m.Address.String() + " is not a member")
	}
	count.Save(ctx, count.Get(ctx)-1)
	ctx.Emit("member_remove", sdk.Attr("address", m.Address.String()))
	return sdk.None{}, nil
}

// Contract is the method table.
var Contract = sdk.Contract{Methods: map[string]sdk.Handler{
	"init":               sdk.Exec(initialize),
	"propose":            sdk.Exec(propose),
	"vote":               sdk.Exec(vote),
	"finalize":           sdk.Exec(finalize),
	"execute":            sdk.Exec(execute),
	"cancel":             sdk.Exec(cancel),
	"fund":               sdk.Exec(fund),
	"update_config":      sdk.Exec(updateConfig),
	"add_member":         sdk.Exec(addMember),
	"remove_member":      sdk.Exec(removeMember),
	"treasury_pay":       sdk.Exec(treasuryPay),
	"sys_set_admin":      sdk.Exec(sysSetAdmin),
	"sys_set_params":     sdk.Exec(sysSetParams),
	"sys_set_validators": sdk.Exec(sysSetValidators),
	"receive_shares":     sdk.Exec(receiveShares),
	"config":             sdk.Query(queryConfig),
	"proposal":           sdk.Query(queryProposal),
	"proposals":          sdk.Query(queryProposals),
	"vote_of":            sdk.Query(queryVote),
	"members":            sdk.Query(queryMembers),
}}

//go:wasmexport init
func exportInit() { Contract.Run("init") }

//go:wasmexport propose
func exportPropose() { Contract.Run("propose") }

//go:wasmexport vote
func exportVote() { Contract.Run("vote") }

//go:wasmexport finalize
func exportFinalize() { Contract.Run("finalize") }

//go:wasmexport execute
func exportExecute() { Contract.Run("execute") }

//go:wasmexport cancel
func exportCancel() { Contract.Run("cancel") }

//go:wasmexport fund
func exportFund() { Contract.Run("fund") }

//go:wasmexport update_config
func exportUpdateConfig() { Contract.Run("update_config") }

//go:wasmexport add_member
func exportAddMember() { Contract.Run("add_member") }

//go:wasmexport remove_member
func exportRemoveMember() { Contract.Run("remove_member") }

//go:wasmexport treasury_pay
func exportTreasuryPay() { Contract.Run("treasury_pay") }

//go:wasmexport sys_set_admin
func exportSysSetAdmin() { Contract.Run("sys_set_admin") }

//go:wasmexport sys_set_params
func exportSysSetParams() { Contract.Run("sys_set_params") }

//go:wasmexport sys_set_validators
func exportSysSetValidators() { Contract.Run("sys_set_validators") }

//go:wasmexport receive_shares
func exportReceiveShares() { Contract.Run("receive_shares") }

//go:wasmexport config
func exportConfig() { Contract.Run("config") }

//go:wasmexport proposal
func exportProposal() { Contract.Run("proposal") }

//go:wasmexport proposals
func exportProposals() { Contract.Run("proposals") }

//go:wasmexport vote_of
func exportVoteOf() { Contract.Run("vote_of") }

//go:wasmexport members
func exportMembers() { Contract.Run("members") }

func main() {}
