//go:build !wasip1

package sdk

// defaultHost outside WebAssembly: there is no chain. Native tests run a
// contract's methods through sdktest, which passes its own Host to
// Contract.Execute; Contract.Run is only for the wasm exports.
func defaultHost() Host {
	panic("sdk: Contract.Run outside GOOS=wasip1: run the method through sdktest (contracts/sdk/sdktest) instead")
}
