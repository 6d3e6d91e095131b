package explorer

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("/")
	if resp.StatusCode != 200 || !strings.Contains(body, `<main id="main"`) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("/: %d %v", resp.StatusCode, resp.Header)
	}
	// Every script and stylesheet the page names is served, with its type.
	for _, tc := range []struct{ path, ctype string }{
		{"/assets/js/main.js", "text/javascript"},
		{"/assets/app.css", "text/css"},
		{"/assets/vendor/leaflet/leaflet.js", "text/javascript"},
		{"/assets/vendor/leaflet/leaflet.css", "text/css"},
		{"/assets/vendor/topojson-client/topojson-client.min.js", "text/javascript"},
		{"/assets/vendor/uplot/uPlot.iife.min.js", "text/javascript"},
		{"/assets/vendor/uplot/uPlot.min.css", "text/css"},
		{"/assets/vendor/world-atlas/countries-50m.json", "application/json"},
	} {
		if !strings.Contains(body, tc.path) && !strings.Contains(tc.path, "world-atlas") {
			t.Errorf("index.html does not load %s", tc.path)
		}
		resp, b := get(tc.path)
		if resp.StatusCode != 200 || len(b) == 0 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) {
			t.Errorf("%s: %d, %q, %d bytes", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
		}
	}
	if !strings.Contains(body, `<script type="module" src="/assets/js/main.js">`) {
		t.Error("index.html does not load main.js as a module")
	}
	for _, p := range []string{"/nope", "/assets/app.js", "/test/html.test.js", "/assets/../test/html.test.js", "/package.json", "/assets/", "/assets/vendor/", "/assets/../explorer.go", "/assets/missing.js"} {
		if resp, _ := get(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	resp, err := http.Post(srv.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", resp.StatusCode)
	}
}

// TestModules: every module is served as JavaScript (a module script of
// another type does not run under nosniff), every import names a module
// that is embedded, and no test file is.
func TestModules(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	imports := regexp.MustCompile(`(?m)^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)';`)
	var modules int
	err := fs.WalkDir(Assets(), "js", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(name, ".test.js") || !strings.HasSuffix(name, ".js") {
			t.Errorf("%s is embedded: only the page's modules belong in assets/js", name)
			return nil
		}
		modules++
		resp, err := http.Get(srv.URL + "/assets/" + name)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
			t.Errorf("%s: %d %q", name, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		src, err := fs.ReadFile(Assets(), name)
		if err != nil {
			return err
		}
		for _, m := range imports.FindAllSubmatch(src, -1) {
			spec := string(m[1])
			if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
				t.Errorf("%s imports %q: only relative imports of our own modules", name, spec)
				continue
			}
			if _, err := fs.Stat(Assets(), path.Join(path.Dir(name), spec)); err != nil {
				t.Errorf("%s imports %q, which is not embedded", name, spec)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if modules < 15 {
		t.Errorf("%d modules under assets/js", modules)
	}
	if m, _ := fs.Glob(Assets(), "*.test.js"); len(m) > 0 {
		t.Errorf("test files embedded: %v", m)
	}
}
