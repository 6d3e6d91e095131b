// Package render is the render-farm example of decentralized compute
// (issue 19): tracer is a small deterministic path tracer, cmd/tile the
// WASI module that renders one tile of its demo scene per task. It has no
// Go API; its test runs the whole job through compute/sandbox and checks
// that the stitched tiles equal a native render of the scene, byte for
// byte.
package render
