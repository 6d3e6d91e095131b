package explorer

import (
	"io"
	"net/http"
	"net/http/httptest"
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
		{"/assets/app.js", "text/javascript"},
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
	for _, p := range []string{"/nope", "/assets/", "/assets/vendor/", "/assets/../explorer.go", "/assets/missing.js"} {
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
