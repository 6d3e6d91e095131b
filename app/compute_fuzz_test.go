package app

import (
	"testing"

	"google.golang.org/protobuf/proto"

	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	"github.com/depinhq/depin/x/compute"
)

// FuzzComputeMessages decodes arbitrary bytes as a compute message (the
// first byte picks which), signs it as the consumer or a provider's owner
// (the signer field set to theirs, so the message reaches its handler),
// and runs it in a block next to a running job. Whatever the bytes: no
// panic, the books balance (the harness checks every invariant after the
// block), and a refused message moves no escrowed token.
func FuzzComputeMessages(f *testing.F) {
	seed := func(kind byte, m proto.Message) {
		b, _ := proto.Marshal(m)
		f.Add(append([]byte{kind}, b...))
	}
	seed(0, &computev1.MsgSubmitJob{Network: "render", Tasks: 1, Replicas: 2})
	seed(0, &computev1.MsgSubmitJob{Network: "render", Tasks: 4096, Replicas: 15, PricePerTask: ^uint64(0), DeadlineSeconds: ^uint64(0)})
	seed(1, &computev1.MsgCommitResult{Job: 1, Task: 0, Commitment: make([]byte, 32)})
	seed(1, &computev1.MsgCommitResult{Job: 1, Task: ^uint32(0)})
	seed(2, &computev1.MsgRevealResult{Job: 1, Task: 0, OutputHash: make([]byte, 32), Salt: make([]byte, 16)})
	seed(3, &computev1.MsgCancelJob{Job: 1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) == 0 {
			return
		}
		cw := newComputeWorld(t)
		c := cw.c
		job := cw.submit(cw.job(2, 3, 1000))
		dev := cw.assigned(job, 0)[0]
		owner := cw.owners[dev]
		var msg any
		who := cw.consumer
		switch raw[0] % 4 {
		case 0:
			m := &computev1.MsgSubmitJob{}
			if proto.Unmarshal(raw[1:], m) != nil {
				return
			}
			m.Consumer = who.addr.Bytes()
			msg = m
		case 1:
			m := &computev1.MsgCommitResult{}
			if proto.Unmarshal(raw[1:], m) != nil {
				return
			}
			m.Owner, who = owner.addr.Bytes(), owner
			if len(m.Device) == 0 {
				m.Device = dev[:]
			}
			msg = m
		case 2:
			m := &computev1.MsgRevealResult{}
			if proto.Unmarshal(raw[1:], m) != nil {
				return
			}
			m.Owner, who = owner.addr.Bytes(), owner
			if len(m.Device) == 0 {
				m.Device = dev[:]
			}
			msg = m
		case 3:
			m := &computev1.MsgCancelJob{}
			if proto.Unmarshal(raw[1:], m) != nil {
				return
			}
			m.Consumer = who.addr.Bytes()
			msg = m
		}
		escrow := c.balance(compute.Escrow, "udpin")
		if r := c.result(who, computeMsg(msg)); r.Code != 0 {
			if got := c.balance(compute.Escrow, "udpin"); got != escrow {
				t.Fatalf("refused (%s), yet the escrow moved from %d to %d", r.Log, escrow, got)
			}
		}
	})
}
