package tracer_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"image"
	"os"
	"strings"
	"testing"

	"github.com/depinhq/depin/examples/render/tracer"
)

var update = flag.Bool("update", false, "rewrite testdata/demo.sha256 from the current render")

// TestTilesMatchWhole: a pixel does not depend on the tile that renders
// it.
func TestTilesMatchWhole(t *testing.T) {
	s := tracer.DemoScene()
	whole := s.Render(image.Rect(0, 0, s.Width, s.Height))
	for _, i := range []int{0, 5, 15} {
		r, err := s.Tile(4, 4, i)
		if err != nil {
			t.Fatal(err)
		}
		tile := s.Render(r)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			got := tile.Pix[tile.PixOffset(r.Min.X, y) : tile.PixOffset(r.Max.X-1, y)+4]
			want := whole.Pix[whole.PixOffset(r.Min.X, y) : whole.PixOffset(r.Max.X-1, y)+4]
			if !bytes.Equal(got, want) {
				t.Fatalf("tile %d, row %d differs from the whole render", i, y)
			}
		}
	}
}

// TestDemoSceneGolden pins the demo render's pixels (SHA-256 of the RGBA
// bytes), so that a change of the tracer, or a platform that computes
// differently, shows. Run with -update after an intended change (and look
// at the picture: go run ./examples/render/cmd/tile renders a tile).
func TestDemoSceneGolden(t *testing.T) {
	s := tracer.DemoScene()
	img := s.Render(image.Rect(0, 0, s.Width, s.Height))
	sum := sha256.Sum256(img.Pix)
	got := hex.EncodeToString(sum[:])
	if *update {
		if err := os.WriteFile("testdata/demo.sha256", []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/demo.sha256")
	if err != nil {
		t.Fatal(err)
	}
	if got != strings.TrimSpace(string(want)) {
		t.Fatalf("demo render's pixels hash to %s, testdata/demo.sha256 says %s", got, want)
	}
}

func TestTileBounds(t *testing.T) {
	s := tracer.DemoScene()
	cases := []struct {
		cols, rows, i int
		want          image.Rectangle
		err           string
	}{
		{4, 4, 0, image.Rect(0, 0, 64, 64), ""},
		{4, 4, 6, image.Rect(128, 64, 192, 128), ""},
		{4, 4, 15, image.Rect(192, 192, 256, 256), ""},
		{1, 1, 0, image.Rect(0, 0, 256, 256), ""},
		{4, 4, 16, image.Rectangle{}, "tile 16 of 4×4 does not exist"},
		{4, 4, -1, image.Rectangle{}, "does not exist"},
		{3, 4, 0, image.Rectangle{}, "does not split into 3×4"},
		{0, 4, 0, image.Rectangle{}, "does not split"},
	}
	for _, c := range cases {
		got, err := s.Tile(c.cols, c.rows, c.i)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Tile(%d, %d, %d): err %v, want %q", c.cols, c.rows, c.i, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Tile(%d, %d, %d) = %v, %v; want %v", c.cols, c.rows, c.i, got, err, c.want)
		}
	}
}

func BenchmarkRenderDemo(b *testing.B) {
	s := tracer.DemoScene()
	for b.Loop() {
		s.Render(image.Rect(0, 0, s.Width, s.Height))
	}
}
