// Package render is the render-farm example of decentralized compute
// (issue 19): tracer is a small deterministic path tracer, cmd/tile the
// WASI module that renders one tile of its demo scene per task.
// BuildTileModule builds that module (with the go command) and Reference
// renders the whole scene natively, for the tests, the benchmark and the
// demo; the package's test runs the whole job through compute/sandbox and
// checks that the stitched tiles equal the reference, byte for byte.
package render
