// Package tracer is a small deterministic path tracer: spheres, diffuse,
// mirror and light materials, a sky, a few samples per pixel. It is the
// workload of the render example of decentralized compute (issue 19): the
// same code built natively and as a WASI module must produce the same
// pixels, so that tiles rendered by providers stitch into exactly the
// image a consumer can render at home.
//
// What keeps it deterministic across platforms and compilers:
//   - Each pixel's random numbers come from a generator seeded by the scene
//     seed and the pixel's coordinates, so a pixel does not depend on which
//     tile, task or goroutine renders it.
//   - Only +, -, *, /, math.Sqrt, math.Abs and comparisons, which IEEE 754
//     defines exactly; no math.Sin, Exp, Pow… (their Go implementations
//     differ by platform: some use assembly).
//   - Every float product is explicitly converted, float64(x*y): the Go
//     spec lets a compiler fuse x*y + z into one fused multiply-add (it
//     does on arm64 and with GOAMD64=v3), which rounds once instead of
//     twice; an explicit conversion forbids it, and WebAssembly never
//     fuses. TestNoFusibleArithmetic holds this rule for the package.
package tracer

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// Material says how a sphere's surface treats light.
type Material uint8

const (
	// Diffuse scatters light in every direction (Lambertian); Color is the
	// albedo.
	Diffuse Material = iota
	// Mirror reflects it; Color tints the reflection.
	Mirror
	// Light emits Color and reflects nothing.
	Light
)

// Sphere is the only shape.
type Sphere struct {
	Center   Vec
	Radius   float64
	Material Material
	Color    Vec
}

// Camera is a pinhole camera looking from Eye at Target. Zoom is the
// distance to the image plane in units of its half-height (2 is a view of
// about 53° vertically).
type Camera struct {
	Eye, Target, Up Vec
	Zoom            float64
}

// Scene is everything a render depends on.
type Scene struct {
	Width, Height int
	// Samples per pixel and Bounces per path bound the work: a render
	// costs about Width × Height × Samples × Bounces ray casts.
	Samples, Bounces int
	// Seed keys every pixel's random numbers.
	Seed uint64
	// Horizon and Zenith are the sky's colors, blended by height.
	Horizon, Zenith Vec
	Camera          Camera
	Spheres         []Sphere
}

// DemoScene is the render example's scene: 256×256, a mirror ball between
// colored diffuse balls on a grey floor, under a sky and a lamp.
func DemoScene() Scene {
	return Scene{
		Width: 256, Height: 256,
		Samples: 16, Bounces: 5,
		Seed:    0x5eed,
		Horizon: Vec{1, 1, 1}, Zenith: Vec{0.45, 0.65, 1},
		Camera: Camera{Eye: Vec{0, 1.2, 4.5}, Target: Vec{0, 0.6, 0}, Up: Vec{0, 1, 0}, Zoom: 2},
		Spheres: []Sphere{
			{Center: Vec{0, -1000, 0}, Radius: 1000, Material: Diffuse, Color: Vec{0.6, 0.6, 0.6}},
			{Center: Vec{0, 1, 0}, Radius: 1, Material: Mirror, Color: Vec{0.9, 0.9, 0.9}},
			{Center: Vec{-2, 0.6, 0.6}, Radius: 0.6, Material: Diffuse, Color: Vec{0.85, 0.25, 0.2}},
			{Center: Vec{2, 0.7, 0.3}, Radius: 0.7, Material: Diffuse, Color: Vec{0.2, 0.45, 0.85}},
			{Center: Vec{0.9, 0.3, 1.8}, Radius: 0.3, Material: Diffuse, Color: Vec{0.3, 0.8, 0.3}},
			{Center: Vec{-0.8, 0.25, 1.9}, Radius: 0.25, Material: Mirror, Color: Vec{0.95, 0.8, 0.5}},
			{Center: Vec{-1.5, 4, 2}, Radius: 0.8, Material: Light, Color: Vec{6, 5.5, 5}},
		},
	}
}

// Tile returns the rectangle of tile i when the image is cut into cols ×
// rows equal tiles, numbered row by row from the top left.
func (s *Scene) Tile(cols, rows, i int) (image.Rectangle, error) {
	switch {
	case cols <= 0 || rows <= 0 || s.Width%cols != 0 || s.Height%rows != 0:
		return image.Rectangle{}, fmt.Errorf("tracer: a %d×%d image does not split into %d×%d equal tiles", s.Width, s.Height, cols, rows)
	case i < 0 || i >= cols*rows:
		return image.Rectangle{}, fmt.Errorf("tracer: tile %d of %d×%d does not exist", i, cols, rows)
	}
	w, h := s.Width/cols, s.Height/rows
	x, y := i%cols*w, i/cols*h
	return image.Rect(x, y, x+w, y+h), nil
}

// Render renders the part r of the image (in image coordinates, within
// Width × Height). Pixels do not depend on r: rendering tiles and putting
// them together gives the same image as rendering it whole.
func (s *Scene) Render(r image.Rectangle) *image.RGBA {
	img := image.NewRGBA(r)
	cam := s.camera()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, s.pixel(cam, x, y))
		}
	}
	return img
}

// view is the camera's frame.
type view struct {
	eye, forward, right, up Vec
}

func (s *Scene) camera() view {
	c := s.Camera
	forward := c.Target.Sub(c.Eye).Unit()
	right := forward.Cross(c.Up).Unit()
	return view{eye: c.Eye, forward: forward.Scale(c.Zoom), right: right, up: right.Cross(forward)}
}

func (s *Scene) pixel(cam view, x, y int) color.RGBA {
	rng := newPixelRand(s.Seed, x, y)
	aspect := float64(s.Width) / float64(s.Height)
	var sum Vec
	for range s.Samples {
		// A point in the pixel, to [-1, 1] on both axes (y up).
		u := float64((float64(x)+rng.float())/float64(s.Width)*2) - 1
		v := 1 - float64((float64(y)+rng.float())/float64(s.Height)*2)
		dir := cam.forward.Add(cam.right.Scale(float64(u * aspect))).Add(cam.up.Scale(v)).Unit()
		sum = sum.Add(s.trace(cam.eye, dir, &rng))
	}
	avg := sum.Scale(1 / float64(s.Samples))
	return color.RGBA{R: toByte(avg.X), G: toByte(avg.Y), B: toByte(avg.Z), A: 255}
}

// toByte maps a linear intensity to 8 bits with gamma 2 (a square root:
// exact everywhere, unlike math.Pow).
func toByte(v float64) uint8 {
	v = min(max(v, 0), 1)
	return uint8(float64(math.Sqrt(v)*255) + 0.5)
}

// minDist keeps a bounced ray from hitting the surface it leaves.
const minDist = 1e-4

// trace follows one path from o in direction d (a unit vector) and returns
// the light it brings back.
func (s *Scene) trace(o, d Vec, rng *pixelRand) Vec {
	throughput := Vec{1, 1, 1}
	for range s.Bounces {
		sp, t := s.hit(o, d)
		if sp == nil {
			return throughput.Mul(s.sky(d))
		}
		if sp.Material == Light {
			return throughput.Mul(sp.Color)
		}
		p := o.Add(d.Scale(t))
		n := p.Sub(sp.Center).Scale(1 / sp.Radius)
		if n.Dot(d) > 0 {
			n = n.Scale(-1) // leaving the inside of a sphere
		}
		throughput = throughput.Mul(sp.Color)
		if sp.Material == Mirror {
			d = d.Sub(n.Scale(float64(2 * d.Dot(n))))
		} else {
			d = diffuseBounce(n, rng)
		}
		o = p
	}
	return Vec{} // absorbed
}

// hit returns the nearest sphere the ray meets beyond minDist, and the
// distance to it.
func (s *Scene) hit(o, d Vec) (*Sphere, float64) {
	var nearest *Sphere
	best := math.Inf(1)
	for i := range s.Spheres {
		sp := &s.Spheres[i]
		oc := o.Sub(sp.Center)
		b := oc.Dot(d)
		c := oc.Dot(oc) - float64(sp.Radius*sp.Radius)
		disc := float64(b*b) - c
		if disc < 0 {
			continue
		}
		sq := math.Sqrt(disc)
		t := -b - sq
		if t < minDist {
			t = -b + sq
		}
		if t >= minDist && t < best {
			nearest, best = sp, t
		}
	}
	return nearest, best
}

// sky blends Horizon into Zenith as the direction rises.
func (s *Scene) sky(d Vec) Vec {
	h := float64(0.5 * (d.Y + 1))
	return s.Horizon.Scale(1 - h).Add(s.Zenith.Scale(h))
}

// diffuseBounce picks a direction around the normal n with a cosine
// distribution: a point uniform in the unit disk (by rejection, so without
// sin and cos), lifted onto the hemisphere.
func diffuseBounce(n Vec, rng *pixelRand) Vec {
	var x, y, r2 float64
	for {
		x, y = float64(2*rng.float())-1, float64(2*rng.float())-1
		if r2 = float64(x*x) + float64(y*y); r2 < 1 {
			break
		}
	}
	z := math.Sqrt(1 - r2)
	a := Vec{1, 0, 0}
	if math.Abs(n.X) > 0.9 {
		a = Vec{0, 1, 0}
	}
	u := a.Cross(n).Unit()
	v := n.Cross(u)
	return u.Scale(x).Add(v.Scale(y)).Add(n.Scale(z)).Unit()
}

// pixelRand is SplitMix64, seeded per pixel.
type pixelRand struct{ state uint64 }

func newPixelRand(seed uint64, x, y int) pixelRand {
	r := pixelRand{state: seed ^ uint64(y)<<32 ^ uint64(x)}
	r.next() // one step, so that neighbouring seeds do not start alike
	return r
}

func (r *pixelRand) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// float returns a number in [0, 1) with 53 random bits (exact).
func (r *pixelRand) float() float64 {
	return float64(r.next()>>11) / (1 << 53)
}
