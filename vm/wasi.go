package vm

// wasiFuncs returns the deterministic WASI shim (module
// wasi_snapshot_preview1). Placeholder until the shim lands.
func wasiFuncs() []HostFunc { return nil }
