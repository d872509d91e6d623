// Package contracts holds the reference contracts' committed modules, so
// that tools can deploy them without a source tree: `plinth dev` starts
// its demo community with them. The contracts themselves are the main
// packages in the subdirectories (ownership, governance, payments,
// maintenance); contracts/build's tests keep each module equal to its
// source.
package contracts

import _ "embed"

var (
	//go:embed ownership/ownership.wasm
	Ownership []byte
	//go:embed governance/governance.wasm
	Governance []byte
	//go:embed payments/payments.wasm
	Payments []byte
	//go:embed maintenance/maintenance.wasm
	Maintenance []byte
)
