package tracer

import "math"

// Vec is a point, direction or color.
type Vec struct{ X, Y, Z float64 }

func (a Vec) Add(b Vec) Vec { return Vec{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }

func (a Vec) Sub(b Vec) Vec { return Vec{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }

// Scale multiplies each component by s.
func (a Vec) Scale(s float64) Vec { return Vec{float64(a.X * s), float64(a.Y * s), float64(a.Z * s)} }

// Mul multiplies component by component (filtering a color).
func (a Vec) Mul(b Vec) Vec { return Vec{float64(a.X * b.X), float64(a.Y * b.Y), float64(a.Z * b.Z)} }

func (a Vec) Dot(b Vec) float64 {
	return float64(a.X*b.X) + float64(a.Y*b.Y) + float64(a.Z*b.Z)
}

func (a Vec) Cross(b Vec) Vec {
	return Vec{
		float64(a.Y*b.Z) - float64(a.Z*b.Y),
		float64(a.Z*b.X) - float64(a.X*b.Z),
		float64(a.X*b.Y) - float64(a.Y*b.X),
	}
}

// Unit returns a scaled to length 1.
func (a Vec) Unit() Vec { return a.Scale(1 / math.Sqrt(a.Dot(a))) }
