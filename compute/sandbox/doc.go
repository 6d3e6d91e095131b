// Package sandbox runs one task of a compute job: a deterministic
// WebAssembly module (WASI preview 1, e.g. GOOS=wasip1 GOARCH=wasm) under
// wazero, cut off from everything but what the task gives it, so that every
// honest provider that runs the same task gets byte-identical output.
//
// # What a module sees
//
//   - Arguments: "task", then Task.Args, then the task index in decimal as
//     the last argument. Environment: Task.Env plus DEPIN_TASK_INDEX (the
//     index again), in key order.
//   - /in: Task.Inputs, read-only, from memory.
//   - /out: an empty, writable directory in memory, bounded by
//     Limits.MaxOutputBytes (sum of file sizes) and Limits.MaxOutputFiles
//     (files and directories). A write past either bound fails (EIO) and
//     the task's status is OutputTooLarge, whatever the module does next.
//   - At most MaxOpenFiles open files and directories at once.
//   - stdout, bounded by Limits.MaxStdoutBytes in the same way; stdin is
//     empty; stderr is kept (its start) only to explain a failure in
//     Result.Reason.
//   - A virtual clock that starts at ClockEpoch (2025-01-01 UTC), advances
//     by ClockTick on every read and by the requested duration on every
//     sleep (a sleep returns at once).
//   - Random bytes (WASI random_get, which also seeds the Go runtime's map
//     order) from ChaCha8 keyed by SHA-256 of a domain tag, Task.Seed and
//     Task.Index.
//   - Linear memory up to Limits.MemoryBytes; a memory.grow past it fails
//     (returns -1), which most runtimes turn into a fatal "out of memory";
//     the task then ends as OutOfMemory.
//
// Nothing else: no host directory is mounted, so /etc/passwd does not exist;
// no socket is preopened, so WASI sock_* calls fail (EBADF) and Go's
// net.Dial reports an error inside the module.
//
// Wall time is limited by Limits.Timeout through the context (wazero's
// close-on-context-done). This is the one limit that is not a function of
// the task alone: a task close to its timeout may finish on a fast provider
// and time out on a slow one, so a job should set its timeout well above the
// expected run time. Everything else — status, exit code, files, stdout — is
// a function of (module, task, limits), with one caveat of WebAssembly
// itself: the bits of a NaN a float operation produces may differ between
// host CPUs, so a module whose output depends on them (not on whether a
// value is NaN) is not portable.
//
// # The canonical output
//
// Result.Output encodes what the task produced, in one canonical form so
// that equal outcomes are equal bytes and OutputHash (SHA-256) can be
// committed and compared on chain. Integers are big-endian:
//
//	magic     4 bytes  "dpco"
//	version   1 byte   1
//	status    1 byte   Status (OK=1 … InvalidTask=8; never renumbered)
//	exit code 4 bytes  non-zero only with ExitNonZero
//	stdout    8-byte length, then the bytes
//	files     4-byte count, then per regular file under /out, in strictly
//	          increasing byte order of path:
//	            path  2-byte length, then the slash-separated path relative
//	                  to /out (fs.ValidPath, never ".")
//	            data  8-byte length, then the bytes
//
// Directories are implied by the paths; empty directories and file modes are
// not part of the output. Only OK and ExitNonZero carry stdout and files: a
// module that trapped, ran out of memory or time, or wrote too much has no
// result other than its status. Result.Reason is for people and is not part
// of the output. DecodeOutput accepts exactly the encodings EncodeOutput
// produces.
//
// # Reuse
//
// A Runner compiles each module once and keeps it, keyed by its SHA-256, for
// the tasks that follow (a provider runs many tasks of one job); Run is the
// one-shot form. A Runner may run tasks concurrently.
//
// The sandbox never gives a module anything of the host's: no clock, no
// entropy, no files, no network, no environment.
package sandbox
