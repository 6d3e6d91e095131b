// Package tiles puts back together an image that the tasks of a compute
// job rendered in pieces: the consumer's side of `depin compute result
// --join png-tiles`. Tiles are outside input (whatever providers returned),
// so every size is checked before anything is allocated for it. Tiles of
// one pixel format stitch into an image of that format, pixel for pixel.
package tiles

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"reflect"
)

// MaxPixels bounds the stitched image: 64 Mpx (an 8192×8192 image; up to
// 512 MiB of 16-bit RGBA pixels).
const MaxPixels = 64 << 20

var (
	// ErrInvalidTiles is returned for tiles that are not PNG images of one
	// size filling whole rows.
	ErrInvalidTiles = errors.New("tiles: invalid tiles")
	// ErrTooLarge is returned when the stitched image would have more
	// than MaxPixels pixels.
	ErrTooLarge = errors.New("tiles: image too large")
)

// JoinPNGTiles stitches PNG tiles, given in task order (row by row from
// the top left, cols per row), into one PNG. All tiles must have the same
// size. If they also have the same pixel format, the result has it too and
// its pixels are the tiles' exactly; paletted tiles and tiles of mixed
// formats are joined as 16-bit NRGBA (color.NRGBA64Model's conversion,
// which can round translucent pixels).
func JoinPNGTiles(tiles [][]byte, cols int) ([]byte, error) {
	if len(tiles) == 0 || cols <= 0 || len(tiles)%cols != 0 {
		return nil, fmt.Errorf("%w: %d tiles do not fill rows of %d", ErrInvalidTiles, len(tiles), cols)
	}
	rows := len(tiles) / cols
	var first image.Config
	same := true
	for i, b := range tiles {
		c, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: tile %d is not a PNG: %v", ErrInvalidTiles, i, err)
		}
		if i == 0 {
			first = c
			if c.Width <= 0 || c.Height <= 0 {
				return nil, fmt.Errorf("%w: tile 0 is empty (%d×%d)", ErrInvalidTiles, c.Width, c.Height)
			}
			// PNG dimensions fit in 31 bits, so these products fit in 64.
			if w, h := uint64(c.Width)*uint64(cols), uint64(c.Height)*uint64(rows); w*h > MaxPixels {
				return nil, fmt.Errorf("%w: %d×%d tiles of %d×%d make %d×%d pixels, more than %d", ErrTooLarge, cols, rows, c.Width, c.Height, w, h, MaxPixels)
			}
			continue
		}
		if c.Width != first.Width || c.Height != first.Height {
			return nil, fmt.Errorf("%w: tile %d is %d×%d, tile 0 is %d×%d", ErrInvalidTiles, i, c.Width, c.Height, first.Width, first.Height)
		}
		same = same && sameModel(c.ColorModel, first.ColorModel)
	}

	w, h := first.Width, first.Height
	bounds := image.Rect(0, 0, w*cols, h*rows)
	var dst draw.Image = image.NewNRGBA64(bounds)
	if same {
		if m := newImage(first.ColorModel, bounds); m != nil {
			dst = m
		}
	}
	for i, b := range tiles {
		src, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: tile %d: %v", ErrInvalidTiles, i, err)
		}
		if src.Bounds() != image.Rect(0, 0, w, h) {
			return nil, fmt.Errorf("%w: tile %d decodes to %v, not %d×%d", ErrInvalidTiles, i, src.Bounds(), w, h)
		}
		at := image.Pt(i%cols*w, i/cols*h)
		if !copyPixels(dst, src, at) {
			for y := range h {
				for x := range w {
					dst.Set(at.X+x, at.Y+y, src.At(x, y))
				}
			}
		}
	}
	var out bytes.Buffer
	if err := png.Encode(&out, dst); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// sameModel reports whether two PNG color models decode to the same
// pixel format that newImage knows. Palettes are slices: comparing them as
// interfaces would panic, and paletted tiles are joined as NRGBA64 anyway.
func sameModel(a, b color.Model) bool {
	_, pa := a.(color.Palette)
	_, pb := b.(color.Palette)
	return !pa && !pb && a == b
}

// newImage returns an image of the type png.Decode returns for the model,
// or nil for a paletted model.
func newImage(m color.Model, r image.Rectangle) draw.Image {
	switch m {
	case color.RGBAModel:
		return image.NewRGBA(r)
	case color.NRGBAModel:
		return image.NewNRGBA(r)
	case color.RGBA64Model:
		return image.NewRGBA64(r)
	case color.NRGBA64Model:
		return image.NewNRGBA64(r)
	case color.GrayModel:
		return image.NewGray(r)
	case color.Gray16Model:
		return image.NewGray16(r)
	}
	return nil
}

// copyPixels copies src into dst at the point at, row by row, if both are
// the same image type; it reports whether it did.
func copyPixels(dst draw.Image, src image.Image, at image.Point) bool {
	dp, dstride, dbpp := pixels(dst)
	sp, sstride, sbpp := pixels(src)
	if dp == nil || sp == nil || dbpp != sbpp || reflect.TypeOf(dst) != reflect.TypeOf(src) {
		return false
	}
	sb := src.Bounds()
	row := sb.Dx() * sbpp
	for y := range sb.Dy() {
		d := (at.Y+y)*dstride + at.X*dbpp
		copy(dp[d:d+row], sp[y*sstride:y*sstride+row])
	}
	return true
}

// pixels returns the pixel buffer, stride and bytes per pixel of the
// non-paletted image types PNG decodes to, nil for others.
func pixels(img image.Image) (pix []byte, stride, bpp int) {
	switch m := img.(type) {
	case *image.RGBA:
		return m.Pix, m.Stride, 4
	case *image.NRGBA:
		return m.Pix, m.Stride, 4
	case *image.RGBA64:
		return m.Pix, m.Stride, 8
	case *image.NRGBA64:
		return m.Pix, m.Stride, 8
	case *image.Gray:
		return m.Pix, m.Stride, 1
	case *image.Gray16:
		return m.Pix, m.Stride, 2
	}
	return nil, 0, 0
}
