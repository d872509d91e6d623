// Payments is paying for service in a community-owned infrastructure
// network — a solar microgrid, hotspots, chargers — in the native token
// (README.md lists the messages): escrows released by the payer or an
// arbiter; streams that accrue by block time with a cliff; usage-metered
// billing from a meter's signed cumulative readings, prepaid, each
// reading billed once; and reward pools shared by the uptime devices
// attest. The contract's books are exact: its balance is always the sum
// of what it holds for each escrow, stream, agreement and epoch.
package main

import (
	"github.com/plinthchain/plinth/contracts/sdk"
)

// InitMsg is empty: one instance serves every payer.
type InitMsg struct{}

func initialize(ctx *sdk.Context, _ InitMsg) (sdk.None, error) {
	return sdk.None{}, takesNoFunds(ctx)
}

// Contract is the method table (native tests run it; the exports below
// are the chain's entry points).
var Contract = sdk.Contract{Methods: map[string]sdk.Handler{
	"init":                 sdk.Exec(initialize),
	"escrow_create":        sdk.Exec(escrowCreate),
	"escrow_release":       sdk.Exec(escrowRelease),
	"escrow_refund":        sdk.Exec(escrowRefund),
	"stream_create":        sdk.Exec(streamCreate),
	"stream_withdraw":      sdk.Exec(streamWithdraw),
	"stream_cancel":        sdk.Exec(streamCancel),
	"meter_open":           sdk.Exec(meterOpen),
	"meter_topup":          sdk.Exec(meterTopup),
	"meter_settle":         sdk.Exec(meterSettle),
	"meter_close":          sdk.Exec(meterClose),
	"rewards_create_epoch": sdk.Exec(rewardsCreateEpoch),
	"rewards_report":       sdk.Exec(rewardsReport),
	"rewards_claim":        sdk.Exec(rewardsClaim),
	"rewards_reclaim":      sdk.Exec(rewardsReclaim),
	"escrow":               sdk.Query(escrowQuery),
	"stream":               sdk.Query(streamQuery),
	"meter":                sdk.Query(meterQuery),
	"epoch":                sdk.Query(epochQuery),
	"epoch_share":          sdk.Query(shareQuery),
	"totals":               sdk.Query(totalsQuery),
}}

//go:wasmexport init
func exportInit() { Contract.Run("init") }

//go:wasmexport escrow_create
func exportEscrowCreate() { Contract.Run("escrow_create") }

//go:wasmexport escrow_release
func exportEscrowRelease() { Contract.Run("escrow_release") }

//go:wasmexport escrow_refund
func exportEscrowRefund() { Contract.Run("escrow_refund") }

//go:wasmexport stream_create
func exportStreamCreate() { Contract.Run("stream_create") }

//go:wasmexport stream_withdraw
func exportStreamWithdraw() { Contract.Run("stream_withdraw") }

//go:wasmexport stream_cancel
func exportStreamCancel() { Contract.Run("stream_cancel") }

//go:wasmexport meter_open
func exportMeterOpen() { Contract.Run("meter_open") }

//go:wasmexport meter_topup
func exportMeterTopup() { Contract.Run("meter_topup") }

//go:wasmexport meter_settle
func exportMeterSettle() { Contract.Run("meter_settle") }

//go:wasmexport meter_close
func exportMeterClose() { Contract.Run("meter_close") }

//go:wasmexport rewards_create_epoch
func exportRewardsCreateEpoch() { Contract.Run("rewards_create_epoch") }

//go:wasmexport rewards_report
func exportRewardsReport() { Contract.Run("rewards_report") }

//go:wasmexport rewards_claim
func exportRewardsClaim() { Contract.Run("rewards_claim") }

//go:wasmexport rewards_reclaim
func exportRewardsReclaim() { Contract.Run("rewards_reclaim") }

//go:wasmexport escrow
func exportEscrow() { Contract.Run("escrow") }

//go:wasmexport stream
func exportStream() { Contract.Run("stream") }

//go:wasmexport meter
func exportMeter() { Contract.Run("meter") }

//go:wasmexport epoch
func exportEpoch() { Contract.Run("epoch") }

//go:wasmexport epoch_share
func exportEpochShare() { Contract.Run("epoch_share") }

//go:wasmexport totals
func exportTotals() { Contract.Run("totals") }

func main() {}
