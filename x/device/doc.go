// Package device owns registered devices: their maker-certified identity,
// owner, location (H3 cell), status and stake, and the indices that find
// them by owner, network and hex.
//
// State layout:
//
//	device/d/<id 20B>                                  -> Device
//	device/o/<owner 20B><id>                           -> (empty)
//	device/n/<network>\x00<id>                         -> (empty)
//	device/h/<network>\x00<h3 sort key u64 BE><id>      -> (empty)
//	device/s/<network>\x00<maker key 32B><serial>       -> id
//
// Stakes are held by the module account crypto.ModuleAddress("device_stake").
package device
