package client

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	cmtversion "github.com/cometbft/cometbft/api/cometbft/version/v1"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"
)

// The tests here hold commit.go to CometBFT's types package, which tests
// may link: the same header hashes, validator set hashes and commit
// verdicts, on values that went through CometBFT's JSON encoder and this
// package's decoder (so they check the wire format too).

// viaJSON encodes v as CometBFT's RPC does and decodes it into out.
func viaJSON(t testing.TB, v, out any) {
	t.Helper()
	bz, err := cmtjson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bz, out); err != nil {
		t.Fatalf("decoding %s: %v", bz, err)
	}
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// randHash is a 32-byte hash, or (sometimes) none.
func randHash(rng *rand.Rand) []byte {
	if rng.IntN(5) == 0 {
		return nil
	}
	return randBytes(rng, 32)
}

func TestHeaderHashMatchesCometBFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		h := cmttypes.Header{
			Version:            cmtversion.Consensus{Block: rng.Uint64N(20), App: rng.Uint64N(3)},
			ChainID:            []string{"", "depin-devnet", "a-chain-with-a-long-name-0123456789"}[rng.IntN(3)],
			Height:             rng.Int64N(1 << 40),
			Time:               time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC(),
			LastBlockID:        cmttypes.BlockID{Hash: randHash(rng), PartSetHeader: cmttypes.PartSetHeader{Total: rng.Uint32N(4), Hash: randHash(rng)}},
			LastCommitHash:     randHash(rng),
			DataHash:           randHash(rng),
			ValidatorsHash:     randBytes(rng, 32),
			NextValidatorsHash: randHash(rng),
			ConsensusHash:      randHash(rng),
			AppHash:            randHash(rng),
			LastResultsHash:    randHash(rng),
			EvidenceHash:       randHash(rng),
			ProposerAddress:    randBytes(rng, 20),
		}
		if i == 0 {
			h.Time = time.Time{} // CometBFT's zero time
		}
		var ours Header
		viaJSON(t, &h, &ours)
		if got, want := ours.Hash(), h.Hash(); !bytes.Equal(got, want) {
			t.Fatalf("header %d: hash %X, CometBFT %X\n%+v", i, got, want, h)
		}
	}
	if (*Header)(nil).Hash() != nil || (&Header{}).Hash() != nil {
		t.Fatal("a header without validators hash has a hash")
	}
}

// testValidators is a CometBFT validator set of n ed25519 keys with the
// given powers, and the same set as /validators lists it, shuffled.
func testValidators(t testing.TB, rng *rand.Rand, powers []int64) (*cmttypes.ValidatorSet, []cmted25519.PrivKey, []*validator) {
	t.Helper()
	vals := make([]*cmttypes.Validator, len(powers))
	keys := map[string]cmted25519.PrivKey{}
	for i, p := range powers {
		k := cmted25519.GenPrivKeyFromSecret(randBytes(rng, 16))
		vals[i] = cmttypes.NewValidator(k.PubKey(), p)
		keys[string(k.PubKey().Address())] = k
	}
	set := cmttypes.NewValidatorSet(vals)
	privs := make([]cmted25519.PrivKey, len(powers))
	for i, v := range set.Validators {
		privs[i] = keys[string(v.Address)]
	}
	var listed []*validator
	viaJSON(t, set.Validators, &listed)
	rng.Shuffle(len(listed), func(i, j int) { listed[i], listed[j] = listed[j], listed[i] })
	return set, privs, listed
}

func TestValidatorSetMatchesCometBFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, powers := range [][]int64{{10}, {1, 1, 1}, {5, 7, 7, 100, 1}, {1 << 40, 3, 3, 3, 3, 3, 3, 3}} {
		set, _, listed := testValidators(t, rng, powers)
		ours, err := newValidatorSet(listed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours.hash(), set.Hash()) {
			t.Fatalf("powers %v: hash %X, CometBFT %X", powers, ours.hash(), set.Hash())
		}
		for i, v := range set.Validators {
			if !bytes.Equal(ours.vals[i].Address, v.Address) {
				t.Fatalf("powers %v: validator %d is %s, CometBFT's %s", powers, i, ours.vals[i].Address, v.Address)
			}
		}
	}
}

func TestNewValidatorSetRejects(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	_, _, listed := testValidators(t, rng, []int64{3, 4})
	clone := func() []*validator {
		out := make([]*validator, len(listed))
		for i, v := range listed {
			c := *v
			out[i] = &c
		}
		return out
	}
	for name, mutate := range map[string]func([]*validator) []*validator{
		"empty":          func([]*validator) []*validator { return nil },
		"nil":            func(v []*validator) []*validator { return append(v, nil) },
		"secp256k1 key":  func(v []*validator) []*validator { v[0].PubKey.Type = "tendermint/PubKeySecp256k1"; return v },
		"short key":      func(v []*validator) []*validator { v[0].PubKey.Value = v[0].PubKey.Value[:31]; return v },
		"wrong address":  func(v []*validator) []*validator { v[0].Address = v[1].Address; return v },
		"twice":          func(v []*validator) []*validator { return append(v, v[0]) },
		"zero power":     func(v []*validator) []*validator { v[0].VotingPower = 0; return v },
		"negative power": func(v []*validator) []*validator { v[0].VotingPower = -1; return v },
		"too much power": func(v []*validator) []*validator { v[0].VotingPower = maxTotalVotingPower; return v },
	} {
		if _, err := newValidatorSet(mutate(clone())); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// commitSpec says how each validator (in set order) signs a test commit.
type commitSpec struct {
	flags   []cmttypes.BlockIDFlag // per validator; default commit
	corrupt int                    // index of a signature to break, or -1
	signFor string                 // chain id the validators sign for
}

// testCommit is a commit of block id at height by set, made as CometBFT
// makes one.
func testCommit(t testing.TB, set *cmttypes.ValidatorSet, privs []cmted25519.PrivKey, id cmttypes.BlockID, height int64, round int32, spec commitSpec) *cmttypes.Commit {
	t.Helper()
	c := &cmttypes.Commit{Height: height, Round: round, BlockID: id}
	base := time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.UTC)
	for i, v := range set.Validators {
		flag := cmttypes.BlockIDFlagCommit
		if i < len(spec.flags) {
			flag = spec.flags[i]
		}
		if flag == cmttypes.BlockIDFlagAbsent {
			c.Signatures = append(c.Signatures, cmttypes.NewCommitSigAbsent())
			continue
		}
		vote := &cmttypes.Vote{Type: cmttypes.PrecommitType, Height: height, Round: round, Timestamp: base.Add(time.Duration(i) * time.Millisecond),
			ValidatorAddress: v.Address, ValidatorIndex: int32(i)}
		if flag == cmttypes.BlockIDFlagCommit {
			vote.BlockID = id
		}
		sig, err := privs[i].Sign(cmttypes.VoteSignBytes(spec.signFor, vote.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		if i == spec.corrupt {
			sig[7] ^= 1
		}
		c.Signatures = append(c.Signatures, cmttypes.CommitSig{BlockIDFlag: flag, ValidatorAddress: v.Address, Timestamp: vote.Timestamp, Signature: sig})
	}
	return c
}

// sameVerdict checks commit c of (id, height) with this package and with
// CometBFT's VerifyCommitLight, and fails t unless both accept or both
// refuse; it returns whether this package accepted it.
func sameVerdict(t testing.TB, set *cmttypes.ValidatorSet, listed []*validator, chainID string, id cmttypes.BlockID, height int64, c *cmttypes.Commit) bool {
	t.Helper()
	var ours blockCommit
	viaJSON(t, c, &ours)
	var oursID BlockID
	viaJSON(t, id, &oursID)
	s, err := newValidatorSet(listed)
	if err != nil {
		t.Fatal(err)
	}
	got := s.verifyCommitLight(chainID, oursID, height, &ours)
	want := set.VerifyCommitLight(chainID, id, height, c)
	if (got == nil) != (want == nil) {
		t.Fatalf("verdict %v, CometBFT's %v", got, want)
	}
	return got == nil
}

func TestVerifyCommitLightMatchesCometBFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const chainID, height = "depin-test", 42
	id := cmttypes.BlockID{Hash: randBytes(rng, 32), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: randBytes(rng, 32)}}
	absent, nilVote := cmttypes.BlockIDFlagAbsent, cmttypes.BlockIDFlagNil
	commit := cmttypes.BlockIDFlagCommit
	for _, tc := range []struct {
		name   string
		powers []int64
		spec   commitSpec
		ok     bool
	}{
		{"one validator", []int64{10}, commitSpec{corrupt: -1}, true},
		{"all sign", []int64{1, 1, 1, 1}, commitSpec{corrupt: -1}, true},
		{"3 of 4", []int64{1, 1, 1, 1}, commitSpec{flags: []cmttypes.BlockIDFlag{commit, absent, commit, commit}, corrupt: -1}, true},
		{"2 of 3 is not more than 2/3", []int64{1, 1, 1}, commitSpec{flags: []cmttypes.BlockIDFlag{commit, absent, commit}, corrupt: -1}, false},
		{"nil votes do not count", []int64{1, 1, 1}, commitSpec{flags: []cmttypes.BlockIDFlag{nilVote, commit, commit}, corrupt: -1}, false},
		{"the big one alone", []int64{100, 1, 1, 1}, commitSpec{flags: []cmttypes.BlockIDFlag{commit, absent, absent, absent}, corrupt: -1}, true},
		{"a broken signature before 2/3", []int64{1, 1, 1, 1}, commitSpec{corrupt: 1}, false},
		{"a broken signature after 2/3 is not checked", []int64{1, 1, 1, 1}, commitSpec{corrupt: 3}, true},
		{"signed for another chain", []int64{1, 1}, commitSpec{corrupt: -1, signFor: "other"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, privs, listed := testValidators(t, rng, tc.powers)
			if tc.spec.signFor == "" {
				tc.spec.signFor = chainID
			}
			c := testCommit(t, set, privs, id, height, 0, tc.spec)
			if ok := sameVerdict(t, set, listed, chainID, id, height, c); ok != tc.ok {
				t.Fatalf("accepted %v, want %v", ok, tc.ok)
			}
		})
	}
	t.Run("wrong height", func(t *testing.T) {
		set, privs, listed := testValidators(t, rng, []int64{1})
		c := testCommit(t, set, privs, id, height, 0, commitSpec{corrupt: -1, signFor: chainID})
		if sameVerdict(t, set, listed, chainID, id, height+1, c) {
			t.Fatal("accepted")
		}
	})
	t.Run("signatures missing", func(t *testing.T) {
		set, privs, listed := testValidators(t, rng, []int64{1, 1})
		c := testCommit(t, set, privs, id, height, 0, commitSpec{corrupt: -1, signFor: chainID})
		c.Signatures = c.Signatures[:1]
		if sameVerdict(t, set, listed, chainID, id, height, c) {
			t.Fatal("accepted")
		}
	})
}

// FuzzVerifyCommitLight: for commits of any shape the fuzzer makes (who
// signs, how, which signature is broken, for which chain, round and
// block), this package and CometBFT's VerifyCommitLight agree.
func FuzzVerifyCommitLight(f *testing.F) {
	f.Add(uint64(1), []byte{10, 10, 10}, []byte{2, 2, 2}, -1, int32(0), true, false)
	f.Add(uint64(2), []byte{1, 1, 1, 1}, []byte{2, 1, 3, 2}, 0, int32(3), false, true)
	f.Add(uint64(3), []byte{200}, []byte{0}, -1, int32(-1), true, true)
	f.Fuzz(func(t *testing.T, seed uint64, powers, flags []byte, corrupt int, round int32, sameChain, nilBlock bool) {
		if len(powers) == 0 || len(powers) > 8 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, 9))
		ps := make([]int64, len(powers))
		for i, p := range powers {
			ps[i] = int64(p) + 1
		}
		set, privs, listed := testValidators(t, rng, ps)
		spec := commitSpec{corrupt: corrupt, signFor: "depin-fuzz"}
		for _, fl := range flags {
			spec.flags = append(spec.flags, cmttypes.BlockIDFlag(fl%5))
		}
		if !sameChain {
			spec.signFor = "elsewhere"
		}
		id := cmttypes.BlockID{Hash: randBytes(rng, 32), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: randBytes(rng, 32)}}
		if nilBlock {
			id = cmttypes.BlockID{}
		}
		c := testCommit(t, set, privs, id, 7, round, spec)
		sameVerdict(t, set, listed, "depin-fuzz", id, 7, c)
	})
}
