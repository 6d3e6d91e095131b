// Command tile renders one tile of the render example's scene
// (tracer.DemoScene, cut into 4×4 tiles) as a PNG. It is the module of the
// example compute job: built with GOOS=wasip1 GOARCH=wasm, each task of a
// 16-task job renders the tile of its index to /out/tile.png, and the
// consumer stitches the tiles (compute/tiles.JoinPNGTiles, 4 columns).
//
// The index comes from DEPIN_TASK_INDEX or else the last argument, as the
// compute sandbox passes both. It also runs natively:
//
//	go run ./examples/render/cmd/tile -out tile5.png 5
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"os"
	"strconv"

	"github.com/depinhq/depin/examples/render/tracer"
)

// Cols and Rows cut the image into tiles, one per task.
const Cols, Rows = 4, 4

func main() {
	out := flag.String("out", "/out/tile.png", "where to write the tile")
	samples := flag.Int("samples", 0, "samples per pixel (0: the scene's own); more samples, more work, less noise")
	flag.Parse()
	if err := run(*out, *samples, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "tile:", err)
		os.Exit(1)
	}
}

func run(out string, samples int, args []string) error {
	index, err := taskIndex(args)
	if err != nil {
		return err
	}
	scene := tracer.DemoScene()
	if samples > 0 {
		scene.Samples = samples
	}
	r, err := scene.Tile(Cols, Rows, index)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, scene.Render(r)); err != nil {
		return err
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}

func taskIndex(args []string) (int, error) {
	s := os.Getenv("DEPIN_TASK_INDEX")
	if s == "" && len(args) > 0 {
		s = args[len(args)-1]
	}
	if s == "" {
		return 0, fmt.Errorf("no task index: set DEPIN_TASK_INDEX or pass it as the last argument")
	}
	i, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("task index %q: %v", s, err)
	}
	return i, nil
}
