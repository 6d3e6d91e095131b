package render_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/depinhq/depin/compute/sandbox"
	"github.com/depinhq/depin/compute/tiles"
	"github.com/depinhq/depin/examples/render"
	"github.com/depinhq/depin/examples/render/tracer"
)

// The job of the example: 16 tasks, tile i of a 4×4 cut each.
const cols, rows = 4, 4

// TestRenderJobMatchesNativeRender builds cmd/tile for wasip1, runs the 16
// tasks of the job in the sandbox (two at a time, as a provider with two
// workers would), stitches the tiles and compares the PNG with the scene
// rendered natively by the same tracer and encoded whole.
func TestRenderJobMatchesNativeRender(t *testing.T) {
	start := time.Now()
	module := buildWasip1(t, "./cmd/tile")
	built := time.Since(start)

	ctx := context.Background()
	runner, err := sandbox.NewRunner(ctx, sandbox.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Close(ctx)
	limits := sandbox.Limits{
		MemoryBytes:    64 << 20,
		Timeout:        2 * time.Minute, // a bound, not a measure: an honest tile takes well under a second
		MaxOutputBytes: 1 << 20,
		MaxOutputFiles: 4,
		MaxStdoutBytes: 4 << 10,
	}

	start = time.Now()
	results := make([]sandbox.Result, cols*rows)
	var g errgroup.Group
	g.SetLimit(2)
	for i := range results {
		g.Go(func() error {
			res, err := runner.Run(ctx, sandbox.Task{Module: module, Index: uint32(i)}, limits)
			results[i] = res
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	ran := time.Since(start)

	pngs := make([][]byte, len(results))
	for i, res := range results {
		if res.Status != sandbox.OK {
			t.Fatalf("tile %d: %v (%s)", i, res.Status, res.Reason)
		}
		out, err := sandbox.DecodeOutput(res.Output)
		if err != nil {
			t.Fatalf("tile %d: %v", i, err)
		}
		data, ok := out.File("tile.png")
		if !ok || len(out.Files) != 1 {
			t.Fatalf("tile %d: files %v, want tile.png only", i, out.Files)
		}
		pngs[i] = data
	}
	joined, err := tiles.JoinPNGTiles(pngs, cols)
	if err != nil {
		t.Fatal(err)
	}

	start = time.Now()
	scene := tracer.DemoScene()
	img := scene.Render(image.Rect(0, 0, scene.Width, scene.Height))
	native := time.Since(start)
	var want bytes.Buffer
	if err := png.Encode(&want, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("build %v; 16 tiles in the sandbox (2 at a time, compilation included) %v; native render %v; PNG %d bytes",
		built.Round(time.Millisecond), ran.Round(time.Millisecond), native.Round(time.Millisecond), len(joined))
	if !bytes.Equal(joined, want.Bytes()) {
		writeArtifacts(t, joined, want.Bytes())
		t.Fatalf("the stitched tiles (%d bytes) differ from the native render (%d bytes): %s", len(joined), want.Len(), pixelDiff(t, joined, want.Bytes()))
	}

	// A provider that runs a tile again gets the same output, so its
	// commitment would match.
	again, err := runner.Run(ctx, sandbox.Task{Module: module, Index: 5}, limits)
	if err != nil {
		t.Fatal(err)
	}
	if sandbox.OutputHash(again.Output) != sandbox.OutputHash(results[5].Output) {
		t.Fatal("tile 5 rendered twice gives two outputs")
	}
}

// pixelDiff says how many pixels differ, and the first.
func pixelDiff(t *testing.T, a, b []byte) string {
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		return err.Error()
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return err.Error()
	}
	if ia.Bounds() != ib.Bounds() {
		return fmt.Sprintf("bounds %v and %v", ia.Bounds(), ib.Bounds())
	}
	n, first := 0, ""
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if ia.At(x, y) != ib.At(x, y) {
				if n == 0 {
					first = fmt.Sprintf(" first at (%d,%d): %v vs %v", x, y, ia.At(x, y), ib.At(x, y))
				}
				n++
			}
		}
	}
	return fmt.Sprintf("%d pixels differ%s", n, first)
}

// writeArtifacts keeps both images for a look when DEPIN_ARTIFACTS is set.
func writeArtifacts(t *testing.T, joined, native []byte) {
	dir := os.Getenv("DEPIN_ARTIFACTS")
	if dir == "" {
		return
	}
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "render-joined.png"), joined, 0o644)
	os.WriteFile(filepath.Join(dir, "render-native.png"), native, 0o644)
	t.Logf("images in %s", dir)
}

// buildWasip1 is render.BuildWasip1 for a test.
func buildWasip1(t testing.TB, pkg string) []byte {
	t.Helper()
	b, err := render.BuildWasip1(context.Background(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkTile compares one tile rendered in the sandbox (compiled once,
// outside the loop) with the same tile rendered natively; both include
// the PNG encoding.
func BenchmarkTile(b *testing.B) {
	scene := tracer.DemoScene()
	r, err := scene.Tile(cols, rows, 5)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("native", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			if err := png.Encode(&buf, scene.Render(r)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wasm", func(b *testing.B) {
		module := buildWasip1(b, "./cmd/tile")
		ctx := context.Background()
		runner, err := sandbox.NewRunner(ctx, sandbox.DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		defer runner.Close(ctx)
		limits := sandbox.DefaultLimits()
		task := sandbox.Task{Module: module, Index: 5}
		if _, err := runner.Run(ctx, task, limits); err != nil { // compile
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := runner.Run(ctx, task, limits)
			if err != nil || res.Status != sandbox.OK {
				b.Fatal(res.Reason, err)
			}
		}
	})
}
