// Package examples holds reference devices written in other languages from
// docs/DEVICE-PROTOCOL.md alone: python/device.py and c/device.c. It has no
// Go API; its test builds and runs both against a real devnet and gateway,
// and checks both reproduce the protocol's test vectors.
package examples
