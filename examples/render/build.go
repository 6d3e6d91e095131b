package render

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/depinhq/depin/examples/render/tracer"
)

// TilePackage is the import path of the example job's module.
const TilePackage = "github.com/depinhq/depin/examples/render/cmd/tile"

// BuildTileModule builds cmd/tile for GOOS=wasip1 GOARCH=wasm with the go
// command (which must be on PATH, run inside this module's source tree)
// and returns the module: the bytes a consumer submits as the job.
func BuildTileModule(ctx context.Context) ([]byte, error) { return BuildWasip1(ctx, TilePackage) }

// BuildWasip1 builds the Go main package pkg (an import path, or a path
// relative to the working directory) for GOOS=wasip1 GOARCH=wasm with the
// go command and returns the module.
func BuildWasip1(ctx context.Context, pkg string) ([]byte, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("building the render module needs the go command: %w", err)
	}
	dir, err := os.MkdirTemp("", "depin-render-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "tile.wasm")
	cmd := exec.CommandContext(ctx, gobin, "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building %s for wasip1: %v\n%s", pkg, err, b)
	}
	return os.ReadFile(out)
}

// Reference is the demo scene rendered natively and encoded whole: what
// the stitched tiles of a verified render job must equal, byte for byte.
func Reference() ([]byte, error) { return ReferenceWith(0) }

// ReferenceWith is Reference at samples per pixel (0: the scene's own), as
// cmd/tile -samples renders it.
func ReferenceWith(samples int) ([]byte, error) {
	scene := tracer.DemoScene()
	if samples > 0 {
		scene.Samples = samples
	}
	var b bytes.Buffer
	if err := png.Encode(&b, scene.Render(image.Rect(0, 0, scene.Width, scene.Height))); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
