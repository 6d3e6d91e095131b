// Package compute is the public layout of the compute module (x/compute):
// its keys, params rules and defaults, the escrow of a job, the
// commitment a provider makes to its output, limits and error kinds.
// Providers, clients and the chain all use it, so a commitment or an
// escrow is computed one way.
//
// State layout:
//
//	compute/j/<job u64 BE>                                  -> Job
//	compute/seq                                             -> last job id
//	compute/t/<job u64><task u32>                           -> Task
//	compute/c/<consumer 20B><job u64>                       -> {} jobs by consumer
//	compute/r/<network>\x00<job u64>                        -> {} running jobs by network
//	compute/a/<device 20B><job u64><task u32>               -> {} a provider's open assignments
//	compute/w/<network>\x00<time u64><job u64><task u32>    -> {} when a task's window closes (task ^0: the job's deadline)
//	compute/s/<device 20B>                                  -> ProviderStats
//	compute/q/<network>\x00<job u64>                        -> {} jobs with tasks not yet assigned
//
// Like every package under api/, it imports only crypto, errs, the
// generated protobuf types and the standard library.
package compute
