// Package hostfns is the host ABI: every function a contract can import
// from module "plinth", its gas, and its checks (docs/abi.md). It knows
// nothing of blocks or transactions: the runtime hands each call a Frame
// whose Env does what the chain allows, and hostfns moves bytes between
// that Env and the contract's memory, charging for each step before doing
// it.
//
// Results of unknown length go to registers (NEAR's scheme): the host
// fills register N, the contract asks its length and copies it into memory
// it allocated, so contracts need not export an allocator.
package hostfns
