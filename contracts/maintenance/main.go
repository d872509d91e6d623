// Maintenance schedules the upkeep of a community-owned network's
// physical assets — a solar array, hotspots, chargers — and pays for it
// (README.md lists the messages). The admin (the community's governance
// contract) registers assets with the devices that observe them and task
// templates that fall due by block time or by usage the devices attest,
// escrowing each template's rewards. Operators post bonds and claim due
// tasks; a task is proven done by an attestation of one of the asset's
// devices, optionally co-signed by an inspector, and pays out after a
// dispute window. A disputed proof or a missed deadline slashes the bond
// to the treasury and reopens the task.
package main

import (
	"errors"

	"github.com/plinthchain/plinth/contracts/sdk"
)

// InitMsg sets the admin: in production, the community's governance
// contract.
type InitMsg struct {
	Admin sdk.Address `json:"admin"`
}

func initialize(ctx *sdk.Context, m InitMsg) (sdk.None, error) {
	if !ctx.Funds().IsZero() {
		return sdk.None{}, errNoFunds
	}
	if m.Admin.IsZero() {
		return sdk.None{}, errors.New("admin: an address is required")
	}
	config.Save(ctx, Config{Admin: m.Admin})
	ctx.Emit("admin", sdk.Attr("admin", m.Admin.String()))
	return sdk.None{}, nil
}

// Contract is the method table (native tests run it; the exports below
// are the chain's entry points). Only add_template, fund_template,
// post_bond and claim_task accept funds; noFunds refuses them elsewhere.
var Contract = sdk.Contract{Methods: map[string]sdk.Handler{
	"init":                sdk.Exec(initialize),
	"update_admin":        noFunds(updateAdmin),
	"register_asset":      noFunds(registerAsset),
	"add_template":        sdk.Exec(addTemplate),
	"fund_template":       sdk.Exec(fundTemplate),
	"defund_template":     noFunds(defundTemplate),
	"set_template_active": noFunds(setTemplateActive),
	"open_due":            noFunds(openDue),
	"report_usage":        noFunds(reportUsage),
	"cancel_task":         noFunds(cancelTask),
	"post_bond":           sdk.Exec(postBond),
	"withdraw_bond":       noFunds(withdrawBond),
	"claim_task":          sdk.Exec(claimTask),
	"complete_task":       noFunds(completeTask),
	"inspect_task":        noFunds(inspectTask),
	"finalize_task":       noFunds(finalizeTask),
	"dispute_task":        noFunds(disputeTask),
	"slash_overdue":       noFunds(slashOverdue),
	"withdraw_treasury":   noFunds(withdrawTreasury),
	"config":              sdk.Query(configQuery),
	"asset":               sdk.Query(assetQuery),
	"assets":              sdk.Query(assetList),
	"template":            sdk.Query(templateQuery),
	"templates":           sdk.Query(templateList),
	"task":                sdk.Query(taskQuery),
	"tasks":               sdk.Query(taskList),
	"operator":            sdk.Query(operatorQuery),
	"operator_tasks":      sdk.Query(operatorTaskList),
}}

//go:wasmexport init
func exportInit() { Contract.Run("init") }

//go:wasmexport update_admin
func exportUpdateAdmin() { Contract.Run("update_admin") }

//go:wasmexport register_asset
func exportRegisterAsset() { Contract.Run("register_asset") }

//go:wasmexport add_template
func exportAddTemplate() { Contract.Run("add_template") }

//go:wasmexport fund_template
func exportFundTemplate() { Contract.Run("fund_template") }

//go:wasmexport defund_template
func exportDefundTemplate() { Contract.Run("defund_template") }

//go:wasmexport set_template_active
func exportSetTemplateActive() { Contract.Run("set_template_active") }

//go:wasmexport open_due
func exportOpenDue() { Contract.Run("open_due") }

//go:wasmexport report_usage
func exportReportUsage() { Contract.Run("report_usage") }

//go:wasmexport cancel_task
func exportCancelTask() { Contract.Run("cancel_task") }

//go:wasmexport post_bond
func exportPostBond() { Contract.Run("post_bond") }

//go:wasmexport withdraw_bond
func exportWithdrawBond() { Contract.Run("withdraw_bond") }

//go:wasmexport claim_task
func exportClaimTask() { Contract.Run("claim_task") }

//go:wasmexport complete_task
func exportCompleteTask() { Contract.Run("complete_task") }

//go:wasmexport inspect_task
func exportInspectTask() { Contract.Run("inspect_task") }

//go:wasmexport finalize_task
func exportFinalizeTask() { Contract.Run("finalize_task") }

//go:wasmexport dispute_task
func exportDisputeTask() { Contract.Run("dispute_task") }

//go:wasmexport slash_overdue
func exportSlashOverdue() { Contract.Run("slash_overdue") }

//go:wasmexport withdraw_treasury
func exportWithdrawTreasury() { Contract.Run("withdraw_treasury") }

//go:wasmexport config
func exportConfig() { Contract.Run("config") }

//go:wasmexport asset
func exportAsset() { Contract.Run("asset") }

//go:wasmexport assets
func exportAssets() { Contract.Run("assets") }

//go:wasmexport template
func exportTemplate() { Contract.Run("template") }

//go:wasmexport templates
func exportTemplates() { Contract.Run("templates") }

//go:wasmexport task
func exportTask() { Contract.Run("task") }

//go:wasmexport tasks
func exportTasks() { Contract.Run("tasks") }

//go:wasmexport operator
func exportOperator() { Contract.Run("operator") }

//go:wasmexport operator_tasks
func exportOperatorTasks() { Contract.Run("operator_tasks") }

func main() {}
