package golden

import "testing"

func TestFirstDiff(t *testing.T) {
	for _, c := range []struct {
		got, want string
		line      int
		ok        bool
	}{
		{"a\nb\nc", "a\nb\nc", 0, false},
		{"a\nx\nc", "a\nb\nc", 2, true},
		{"a\nb", "a\nb\nc", 0, false},
		{"", "a", 1, true},
	} {
		line, _, _, ok := FirstDiff(c.got, c.want)
		if line != c.line || ok != c.ok {
			t.Errorf("FirstDiff(%q, %q) = %d, %v; want %d, %v", c.got, c.want, line, ok, c.line, c.ok)
		}
	}
}
