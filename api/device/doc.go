// Package device is the public layout of the device module (x/device): the
// keys of devices and of their owner, network, hex and serial indices, how
// an id is read back from an index key, the maker certificate codec, and
// the module's error kinds.
//
// State layout:
//
//	device/d/<id 20B>                                  -> Device
//	device/o/<owner 20B><id>                           -> (empty)
//	device/n/<network>\x00<id>                         -> (empty)
//	device/h/<network>\x00<h3 sort key u64 BE><id>      -> (empty)
//	device/s/<network>\x00<maker key 32B><serial>       -> id
//
// It is what a program outside the state machine must know to read the
// module's state; x/device re-exports it, so each key has one definition.
// Like every package under api/, it imports only crypto, errs, the
// generated protobuf types, pure math (h3) and the standard library —
// never store, state, app or a keeper.
package device
