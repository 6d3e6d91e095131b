// Package explorer is the web explorer: a single page (assets embedded, no
// internet needed) that reads the indexer's GraphQL API at /graphql and
// its live updates at /live. It draws devices as H3 hexagons on an
// offline world map (Leaflet and Natural Earth data from world-atlas,
// vendored by scripts/vendor-explorer.sh), and has pages for networks,
// devices, accounts, blocks, transactions, the energy market, storage
// deals, compute markets and compute jobs (with the picture a job's PNG
// tiles make, an image the indexer's API stitches).
//
// The page's code is ES modules under assets/js (main.js is the entry; no
// build step), loaded as module scripts from this origin, which the
// Content-Security-Policy allows and nothing else. Their unit tests
// (test/*.test.js, run by TestJavaScript with node --test) live outside
// assets/, so they are not embedded or served.
package explorer

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed assets
var assets embed.FS

// Assets are the explorer's files (index.html, app.css, js/…, vendor/…).
func Assets() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree always has assets/
	}
	return sub
}

// csp lets the page load only its own scripts and data: no third-party
// origin can run code or receive requests. Inline style attributes are
// allowed (Leaflet and uPlot position elements with them).
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the page at / and its files under /assets/. Other paths
// are not found (the page routes with #fragments, so none are needed).
func Handler() http.Handler {
	files := http.FileServerFS(Assets())
	index, err := fs.ReadFile(Assets(), "index.html")
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		switch {
		case r.URL.Path == "/" || r.URL.Path == "/index.html":
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cache-Control", "no-cache")
			w.Write(index)
		case strings.HasPrefix(r.URL.Path, "/assets/") && !strings.HasSuffix(r.URL.Path, "/"):
			if strings.HasPrefix(r.URL.Path, "/assets/vendor/") {
				h.Set("Cache-Control", "public, max-age=86400") // pinned versions
			} else {
				h.Set("Cache-Control", "no-cache")
			}
			http.StripPrefix("/assets", files).ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
