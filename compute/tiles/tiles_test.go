package tiles_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/depinhq/depin/compute/tiles"
)

func encode(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// randomImage fills an image of the given type with random pixels.
func randomImage(newImage func(image.Rectangle) draw.Image, r image.Rectangle, rng *rand.Rand) draw.Image {
	img := newImage(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.Set(x, y, color.NRGBA64{R: uint16(rng.Uint32()), G: uint16(rng.Uint32()), B: uint16(rng.Uint32()), A: uint16(rng.Uint32())})
		}
	}
	return img
}

// cut returns the tiles of img, cols × rows, in task order, as PNGs.
func cut(t testing.TB, img draw.Image, cols, rows int) [][]byte {
	b := img.Bounds()
	w, h := b.Dx()/cols, b.Dy()/rows
	var out [][]byte
	for i := range cols * rows {
		r := image.Rect(i%cols*w, i/cols*h, i%cols*w+w, i/cols*h+h)
		out = append(out, encode(t, img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(r)))
	}
	return out
}

var formats = []struct {
	name     string
	newImage func(image.Rectangle) draw.Image
}{
	{"RGBA", func(r image.Rectangle) draw.Image { return image.NewRGBA(r) }},
	{"NRGBA", func(r image.Rectangle) draw.Image { return image.NewNRGBA(r) }},
	{"RGBA64", func(r image.Rectangle) draw.Image { return image.NewRGBA64(r) }},
	{"NRGBA64", func(r image.Rectangle) draw.Image { return image.NewNRGBA64(r) }},
	{"Gray", func(r image.Rectangle) draw.Image { return image.NewGray(r) }},
	{"Gray16", func(r image.Rectangle) draw.Image { return image.NewGray16(r) }},
	{"opaque RGBA", func(r image.Rectangle) draw.Image {
		img := image.NewRGBA(r)
		for i := 3; i < len(img.Pix); i += 4 {
			img.Pix[i] = 255
		}
		return opaque{img}
	}},
}

// opaque is an RGBA image whose Set keeps alpha at 255, so that PNG
// encodes it without an alpha channel (as the render example's tiles).
type opaque struct{ *image.RGBA }

func (o opaque) Set(x, y int, c color.Color) {
	r, g, b, _ := c.RGBA()
	o.RGBA.Set(x, y, color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255})
}

// TestJoinIsExact: tiles cut from an image join into the same PNG bytes as
// the image encoded whole, in every pixel format PNG decodes to.
func TestJoinIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			whole := randomImage(f.newImage, image.Rect(0, 0, 15, 8), rng)
			got, err := tiles.JoinPNGTiles(cut(t, whole, 3, 2), 3)
			if err != nil {
				t.Fatal(err)
			}
			if want := encode(t, whole); !bytes.Equal(got, want) {
				t.Fatalf("joined PNG (%d bytes) differs from the whole image's (%d bytes)", len(got), len(want))
			}
		})
	}
}

// TestJoinMixedFormats: tiles of different formats (and paletted ones)
// join as NRGBA64, each pixel converted by color.NRGBA64Model.
func TestJoinMixedFormats(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	r := image.Rect(0, 0, 4, 4)
	gray := randomImage(formats[4].newImage, r, rng)
	rgba := randomImage(formats[0].newImage, r, rng)
	pal := image.NewPaletted(r, color.Palette{color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 128}})
	pal.Pix[5] = 1
	srcs := []image.Image{gray, rgba, pal, pal}
	var in [][]byte
	for _, s := range srcs {
		in = append(in, encode(t, s))
	}
	out, err := tiles.JoinPNGTiles(in, 2)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.NRGBA64); !ok || img.Bounds() != image.Rect(0, 0, 8, 8) {
		t.Fatalf("joined %T %v, want an 8×8 NRGBA64", img, img.Bounds())
	}
	for i, b := range in {
		// The tile as decoded: PNG stores RGBA as NRGBA, itself lossy.
		s, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		at := image.Pt(i%2*4, i/2*4)
		for y := range 4 {
			for x := range 4 {
				want := color.NRGBA64Model.Convert(s.At(x, y))
				if got := img.At(at.X+x, at.Y+y); got != want {
					t.Fatalf("tile %d pixel (%d,%d) = %v, want %v", i, x, y, got, want)
				}
			}
		}
	}
}

// pngWithSize returns a valid PNG whose header claims w×h pixels (only its
// header is valid beyond 1×1, which is all DecodeConfig reads).
func pngWithSize(t *testing.T, w, h uint32) []byte {
	b := encode(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	// Signature (8), IHDR length (4) and type (4), then width, height.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestJoinRejects(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tile := encode(t, randomImage(formats[0].newImage, image.Rect(0, 0, 4, 4), rng))
	wide := encode(t, randomImage(formats[0].newImage, image.Rect(0, 0, 5, 4), rng))
	cases := []struct {
		name  string
		tiles [][]byte
		cols  int
		err   error
		msg   string
	}{
		{"no tiles", nil, 1, tiles.ErrInvalidTiles, "0 tiles do not fill rows of 1"},
		{"no columns", [][]byte{tile}, 0, tiles.ErrInvalidTiles, "rows of 0"},
		{"ragged", [][]byte{tile, tile, tile}, 2, tiles.ErrInvalidTiles, "3 tiles do not fill rows of 2"},
		{"not a PNG", [][]byte{tile, []byte("GIF89a")}, 2, tiles.ErrInvalidTiles, "tile 1 is not a PNG"},
		{"truncated", [][]byte{tile, tile[:len(tile)-20]}, 2, tiles.ErrInvalidTiles, "tile 1"},
		{"sizes differ", [][]byte{tile, wide}, 2, tiles.ErrInvalidTiles, "tile 1 is 5×4, tile 0 is 4×4"},
		{"too large", [][]byte{pngWithSize(t, 8193, 8192)}, 1, tiles.ErrTooLarge, "8193×8192 pixels, more than 67108864"},
		{"too large together", [][]byte{pngWithSize(t, 4096, 4096), pngWithSize(t, 4096, 4096), pngWithSize(t, 4096, 4096), pngWithSize(t, 4096, 4096), pngWithSize(t, 4096, 4096)}, 5, tiles.ErrTooLarge, "20480×4096"},
	}
	for _, c := range cases {
		_, err := tiles.JoinPNGTiles(c.tiles, c.cols)
		if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: err %v, want %v containing %q", c.name, err, c.err, c.msg)
		}
	}
}

// FuzzJoinPNGTiles: whatever providers return, joining never panics, and
// a joined image has the size its tiles promise.
func FuzzJoinPNGTiles(f *testing.F) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, fm := range formats {
		b := encode(f, randomImage(fm.newImage, image.Rect(0, 0, 3, 2), rng))
		f.Add(b, b, uint8(2))
		f.Add(b, b, uint8(1))
	}
	pal := encode(f, image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.Black, color.White}))
	f.Add(pal, pal, uint8(2))
	f.Fuzz(func(t *testing.T, a, b []byte, cols uint8) {
		in := [][]byte{a, b}
		out, err := tiles.JoinPNGTiles(in, int(cols))
		if err != nil {
			return
		}
		img, err := png.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("joined image does not decode: %v", err)
		}
		c, _ := png.DecodeConfig(bytes.NewReader(a))
		if want := image.Rect(0, 0, c.Width*int(cols), c.Height*2/int(cols)); img.Bounds() != want {
			t.Fatalf("joined %v, want %v", img.Bounds(), want)
		}
	})
}
