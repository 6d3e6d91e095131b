package compute

import (
	"encoding/binary"

	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
)

// Error kinds (codespace "compute").
var (
	ErrInvalidJob    = errs.Register("compute", 2, "invalid compute job")
	ErrUnknownJob    = errs.Register("compute", 3, "no such compute job")
	ErrJobDone       = errs.Register("compute", 4, "compute job is finished")
	ErrNoCompute     = errs.Register("compute", 5, "network has no compute market")
	ErrNotAssigned   = errs.Register("compute", 6, "provider not assigned to the task")
	ErrWrongPhase    = errs.Register("compute", 7, "task is not in that phase")
	ErrBadReveal     = errs.Register("compute", 8, "reveal does not match the commitment")
	ErrNoProviders   = errs.Register("compute", 9, "not enough compute providers")
	ErrEscrowTooHigh = errs.Register("compute", 10, "escrow above the consumer's bound")
)

// State layout (see the package comment).
var (
	JobPrefix      = []byte("compute/j/")
	SeqKey         = []byte("compute/seq")
	TaskPrefix     = []byte("compute/t/")
	ConsumerPrefix = []byte("compute/c/")
	RunningPrefix  = []byte("compute/r/")
	AssignPrefix   = []byte("compute/a/")
	TimerPrefix    = []byte("compute/w/")
	StatsPrefix    = []byte("compute/s/")
	QueuePrefix    = []byte("compute/q/")
)

// QueueNetworkPrefix lists a network's jobs with tasks not yet assigned,
// oldest first.
func QueueNetworkPrefix(net string) []byte { return keys.New(QueuePrefix).Str(net).Sep() }

// QueueKey is the assignment-queue key of a job.
func QueueKey(net string, id uint64) []byte { return keys.New(QueuePrefix).Str(net).Sep().U64(id) }

// JobTimer is the task number of a timer that is the job's deadline.
const JobTimer = ^uint32(0)

// JobKey is where a job lives.
func JobKey(id uint64) []byte { return keys.New(JobPrefix).U64(id) }

// TaskKey is where a job's task lives.
func TaskKey(job uint64, task uint32) []byte { return keys.New(TaskPrefix).U64(job).U32(task) }

// TasksPrefix lists a job's tasks.
func TasksPrefix(job uint64) []byte { return keys.New(TaskPrefix).U64(job) }

// ByConsumerPrefix lists a consumer's jobs.
func ByConsumerPrefix(a crypto.Address) []byte { return keys.New(ConsumerPrefix).Bytes(a[:]) }

// ConsumerIndexKey is the consumer-index key of a job.
func ConsumerIndexKey(a crypto.Address, id uint64) []byte {
	return keys.New(ConsumerPrefix).Bytes(a[:]).U64(id)
}

// RunningNetworkPrefix lists a network's running jobs.
func RunningNetworkPrefix(net string) []byte { return keys.New(RunningPrefix).Str(net).Sep() }

// RunningKey is the running-index key of a job.
func RunningKey(net string, id uint64) []byte {
	return keys.New(RunningPrefix).Str(net).Sep().U64(id)
}

// AssignmentsPrefix lists a provider's open assignments.
func AssignmentsPrefix(dev crypto.DeviceID) []byte { return keys.New(AssignPrefix).Bytes(dev[:]) }

// AssignmentKey is the provider-index key of a task.
func AssignmentKey(dev crypto.DeviceID, job uint64, task uint32) []byte {
	return keys.New(AssignPrefix).Bytes(dev[:]).U64(job).U32(task)
}

// JobTaskFromKey decodes the job and task a key ends with (an assignment
// or timer key).
func JobTaskFromKey(k []byte) (job uint64, task uint32, ok bool) {
	if len(k) < 12 {
		return 0, 0, false
	}
	t := k[len(k)-12:]
	return binary.BigEndian.Uint64(t[:8]), binary.BigEndian.Uint32(t[8:]), true
}

// TimersPrefix lists a network's timers, soonest first.
func TimersPrefix(net string) []byte { return keys.New(TimerPrefix).Str(net).Sep() }

// TimerKey is a timer at unix time t (≥ 0) for a task (or JobTimer).
func TimerKey(net string, t int64, job uint64, task uint32) []byte {
	return keys.New(TimerPrefix).Str(net).Sep().U64(uint64(max(t, 0))).U64(job).U32(task)
}

// TimerTime is the time of a key under TimersPrefix(net).
func TimerTime(net string, k []byte) (int64, bool) {
	p := TimersPrefix(net)
	if len(k) != len(p)+20 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(k[len(p):])), true
}

// StatsKey is where a provider's compute record lives.
func StatsKey(id crypto.DeviceID) []byte { return keys.New(StatsPrefix).Bytes(id[:]) }
