// Package scenario holds the story test that runs the four reference
// contracts together on the real chain (scenario_test.go); it has no code
// of its own.
package scenario
