package store

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
)

// BenchmarkTreeShards measures what splitting records over several IAVL
// trees, written, hashed and saved in parallel, gains: 100,000 records of
// ~450 bytes, blocks updating 55,000 of them (a full block of device
// reports), on-disk trees. shards=4 is the layout Tree uses (Shards);
// shards=1 the one-tree layout before it.
//
//	go test ./store -run '^$' -bench TreeShards -benchtime 6x
func BenchmarkTreeShards(b *testing.B) {
	const records, perBlock = 100_000, 55_000
	for _, shards := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			trees := make([]*Tree, shards)
			for i := range trees {
				t, err := OpenTree(b.TempDir(), "s", TreeOptions{CacheSize: 3_000_000 / shards})
				if err != nil {
					b.Fatal(err)
				}
				defer t.Close()
				trees[i] = t
			}
			key := func(i int) []byte {
				h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
				return append([]byte("device/d/"), h[:20]...)
			}
			value := make([]byte, 450)
			block := func(round, n int) {
				var wg sync.WaitGroup
				for s := range trees {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := 0; i < n; i++ {
							k := key((i*7919 + round*104729) % records)
							if int(k[len(k)-1])%shards != s {
								continue
							}
							binary.BigEndian.PutUint64(value, uint64(round))
							trees[s].Set(k, value)
						}
						trees[s].WorkingHash()
						if _, _, err := trees[s].SaveVersion(); err != nil {
							panic(err)
						}
					}()
				}
				wg.Wait()
			}
			block(0, records*2) // every record, twice over
			b.ResetTimer()
			for r := 1; r <= b.N; r++ {
				block(r, perBlock)
			}
			b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "updates/s")
		})
	}
}
