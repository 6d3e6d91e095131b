package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/depinhq/depin/compute/sandbox"
	"github.com/depinhq/depin/compute/tiles"
	"github.com/depinhq/depin/indexer"
)

// Compute outputs over HTTP, next to GraphQL (which lists them but never
// carries their bytes):
//
//	GET /v1/compute/jobs/{id}/tasks/{task}/output        a verified task's output, its canonical bytes
//	GET /v1/compute/jobs/{id}/tasks/{task}/files/{path}  one file of it
//	GET /v1/compute/jobs/{id}/image.png                  the job's PNG tiles stitched (compute/tiles)
//
// Outputs are other people's bytes served from the explorer's origin:
// every answer is sandboxed by its Content-Security-Policy and sniffing is
// off, and only images and plain text are shown inline (anything else is
// a download). A refusal is JSON {error, code} with its status.

// Limits of the compute endpoints.
const (
	// MaxImageTiles bounds the tasks one stitched image is made of.
	MaxImageTiles = 1024
	// MaxImagePixels bounds a stitched image (4096 × 4096; compute/tiles
	// allows more, but this API shares its process with the indexer, and
	// in `depin demo` with a validator).
	MaxImagePixels = 1 << 24
	// MaxImageBytes bounds the outputs read to stitch one image.
	MaxImageBytes = 64 << 20
	// imageCacheBytes bounds the stitched images kept (a job's verified
	// outputs never change, so neither does its image).
	imageCacheBytes = 64 << 20
	// imageWait is how long a request waits for another's stitching.
	imageWait = 10 * time.Second
	// outputRequestsPerCPU bounds the output and file requests served at
	// once, per CPU; more are answered 503.
	outputRequestsPerCPU = 4
)

// ComputeOutputs serves compute jobs' outputs from the index.
type ComputeOutputs struct {
	DB *indexer.DB

	running   chan struct{} // output and file requests being served
	joining   chan struct{} // one stitching at a time
	imageWait time.Duration // how long a request waits for another's stitching

	mu     sync.Mutex
	images map[int]cachedImage
	cached int // bytes
}

type cachedImage struct {
	etag string
	png  []byte
}

// NewComputeOutputs serves db's compute outputs.
func NewComputeOutputs(db *indexer.DB) *ComputeOutputs {
	return &ComputeOutputs{DB: db, running: make(chan struct{}, outputRequestsPerCPU*runtime.GOMAXPROCS(0)),
		joining: make(chan struct{}, 1), imageWait: imageWait, images: map[int]cachedImage{}}
}

// Register adds the endpoints to mux.
func (c *ComputeOutputs) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/compute/jobs/{id}/image.png", c.image)
	mux.HandleFunc("GET /v1/compute/jobs/{id}/tasks/{task}/output", c.limited(c.output))
	mux.HandleFunc("GET /v1/compute/jobs/{id}/tasks/{task}/files/{path...}", c.limited(c.file))
}

// apiError is a refusal: its status, a code programs can test and a
// message people can read.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func refuse(status int, code, format string, a ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, a...)}
}

// ErrNoImage is wrapped by planImage's refusals of a job whose outputs do
// not make an image.
var ErrNoImage = errors.New("no image")

func (e *apiError) Unwrap() error {
	if e.code == "no_image" {
		return ErrNoImage
	}
	return nil
}

func writeAPIError(w http.ResponseWriter, err error) {
	var e *apiError
	if !errors.As(err, &e) {
		e = refuse(http.StatusInternalServerError, "internal", "reading the index: %v", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	if e.status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(e.status)
	b, _ := json.Marshal(map[string]string{"error": e.msg, "code": e.code})
	w.Write(append(b, '\n'))
}

// limited serves at most cap(running) requests at once; more are 503.
func (c *ComputeOutputs) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case c.running <- struct{}{}:
			defer func() { <-c.running }()
		default:
			writeAPIError(w, refuse(http.StatusServiceUnavailable, "busy", "busy: %d output requests are being served; try again in a second", cap(c.running)))
			return
		}
		h(w, r)
	}
}

// jobTask parses the job id and task index of a request.
func jobTask(r *http.Request, withTask bool) (job, task int, err error) {
	j, err := strconv.ParseUint(r.PathValue("id"), 10, 63)
	if err != nil || j == 0 {
		return 0, 0, refuse(http.StatusBadRequest, "bad_job", "%q is not a job id (a positive number)", r.PathValue("id"))
	}
	if !withTask {
		return int(j), 0, nil
	}
	t, err := strconv.ParseUint(r.PathValue("task"), 10, 31)
	if err != nil {
		return 0, 0, refuse(http.StatusBadRequest, "bad_task", "%q is not a task index (0, 1, …)", r.PathValue("task"))
	}
	return int(j), int(t), nil
}

// verifiedOutput reads a verified task's output and its hash.
func (c *ComputeOutputs) verifiedOutput(ctx context.Context, job, task int) ([]byte, string, error) {
	var status, hash string
	var out []byte
	err := c.DB.QueryRowContext(ctx, `SELECT status, output_hash, output FROM compute_tasks WHERE job = $1 AND idx = $2`, job, task).Scan(&status, &hash, &out)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if err := c.DB.QueryRowContext(ctx, `SELECT id FROM compute_jobs WHERE id = $1`, job).Scan(new(int64)); errors.Is(err, sql.ErrNoRows) {
			return nil, "", refuse(http.StatusNotFound, "no_job", "there is no compute job %d", job)
		}
		return nil, "", refuse(http.StatusNotFound, "no_task", "job %d has no task %d", job, task)
	case err != nil:
		return nil, "", err
	case status == "FAILED":
		return nil, "", refuse(http.StatusNotFound, "failed", "task %d of job %d failed: no output was verified", task, job)
	case status != "VERIFIED":
		return nil, "", refuse(http.StatusNotFound, "not_verified", "task %d of job %d is not verified yet: its output is served once it is", task, job)
	case out == nil:
		return nil, "", refuse(http.StatusNotFound, "no_output", "the index does not have the output of task %d of job %d (the transaction that revealed it did not decode)", task, job)
	}
	return out, hash, nil
}

// sandboxed sets the headers every output answer carries: no script, no
// plugin, no request from it, no sniffing it into another type.
func sandboxed(h http.Header, etag string) {
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", `"`+etag+`"`)
}

func (c *ComputeOutputs) output(w http.ResponseWriter, r *http.Request) {
	job, task, err := jobTask(r, true)
	if err == nil {
		var out []byte
		var hash string
		if out, hash, err = c.verifiedOutput(r.Context(), job, task); err == nil {
			sandboxed(w.Header(), hash)
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="job-%d-task-%d.out"`, job, task))
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(out))
			return
		}
	}
	writeAPIError(w, err)
}

// inlineTypes are the files shown in the browser, by extension; any other
// is a download.
var inlineTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
	".txt": "text/plain; charset=utf-8", ".csv": "text/plain; charset=utf-8", ".json": "application/json", ".log": "text/plain; charset=utf-8",
}

func (c *ComputeOutputs) file(w http.ResponseWriter, r *http.Request) {
	job, task, err := jobTask(r, true)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	out, hash, err := c.verifiedOutput(r.Context(), job, task)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	o, err := sandbox.DecodeOutput(out)
	if err != nil {
		writeAPIError(w, refuse(http.StatusNotFound, "not_sandbox_output", "the output of task %d of job %d is not a sandbox output (%v); %s/output serves its bytes",
			task, job, err, taskURL(job, task)))
		return
	}
	name := r.PathValue("path")
	i := -1
	for k, f := range o.Files {
		if f.Path == name {
			i = k
			break
		}
	}
	if i < 0 {
		writeAPIError(w, refuse(http.StatusNotFound, "no_file", "task %d of job %d wrote no file %q (it wrote %d)", task, job, name, len(o.Files)))
		return
	}
	sandboxed(w.Header(), hash+"-"+strconv.Itoa(i))
	ext := strings.ToLower(path.Ext(name))
	if t, ok := inlineTypes[ext]; ok {
		w.Header().Set("Content-Type", t)
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(path.Base(name)))
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(o.Files[i].Data))
}

// imagePlan is a job's image as its index rows describe it.
type imagePlan struct {
	tasks, cols   int
	tileW, tileH  int
	width, height int
	etag          string // of the tiles' output hashes
	outputBytes   int64
}

// planImage checks, from the index's rows alone, that a job's outputs
// make an image within the limits: every task verified with an OK result
// of one PNG file, tiles of one size whose number is a perfect square.
func planImage(ctx context.Context, db *indexer.DB, job int) (imagePlan, error) {
	var p imagePlan
	var verified int
	err := db.QueryRowContext(ctx, `SELECT tasks, verified FROM compute_jobs WHERE id = $1`, job).Scan(&p.tasks, &verified)
	if errors.Is(err, sql.ErrNoRows) {
		return p, refuse(http.StatusNotFound, "no_job", "there is no compute job %d", job)
	}
	if err != nil {
		return p, err
	}
	noImage := func(format string, a ...any) error {
		return refuse(http.StatusNotFound, "no_image", "job %d has no image: "+format, append([]any{job}, a...)...)
	}
	if verified < p.tasks {
		return p, noImage("%d of its %d tasks are verified, and its tiles are stitched once all are", verified, p.tasks)
	}
	if p.tasks > MaxImageTiles {
		return p, noImage("%d tasks, and an image is stitched of at most %d tiles", p.tasks, MaxImageTiles)
	}
	p.cols = int(math.Sqrt(float64(p.tasks)))
	for p.cols*p.cols > p.tasks {
		p.cols--
	}
	for (p.cols+1)*(p.cols+1) <= p.tasks {
		p.cols++
	}
	if p.cols*p.cols != p.tasks {
		return p, noImage("its %d tasks do not make a square of tiles", p.tasks)
	}
	var bad sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MIN(idx) FROM compute_tasks WHERE job = $1 AND (status <> 'VERIFIED' OR png_path = '')`, job).Scan(&bad); err != nil {
		return p, err
	}
	if bad.Valid {
		return p, noImage("the result of task %d is not one PNG file", bad.Int64)
	}
	var n, minW, maxW, minH, maxH int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(png_width), 0), COALESCE(MAX(png_width), 0), COALESCE(MIN(png_height), 0), COALESCE(MAX(png_height), 0),
  COALESCE(SUM(output_size), 0) FROM compute_tasks WHERE job = $1`, job).Scan(&n, &minW, &maxW, &minH, &maxH, &p.outputBytes); err != nil {
		return p, err
	}
	switch {
	case n != p.tasks:
		return p, noImage("the index has %d of its %d tasks", n, p.tasks)
	case minW != maxW || minH != maxH:
		return p, noImage("its tiles are not of one size (%d to %d pixels wide, %d to %d high)", minW, maxW, minH, maxH)
	case uint64(maxW)*uint64(maxH)*uint64(p.tasks) > MaxImagePixels:
		return p, noImage("it would be %d×%d pixels, more than %d", maxW*p.cols, maxH*p.cols, MaxImagePixels)
	case p.outputBytes > MaxImageBytes:
		return p, noImage("its tiles' outputs are %d bytes, more than %d", p.outputBytes, MaxImageBytes)
	}
	p.tileW, p.tileH, p.width, p.height = maxW, maxH, maxW*p.cols, maxH*p.cols
	rows, err := db.QueryContext(ctx, `SELECT output_hash FROM compute_tasks WHERE job = $1 ORDER BY idx`, job)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	h := sha256.New()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return p, err
		}
		h.Write([]byte(s))
	}
	p.etag = hex.EncodeToString(h.Sum(nil))
	return p, rows.Err()
}

func (c *ComputeOutputs) image(w http.ResponseWriter, r *http.Request) {
	job, _, err := jobTask(r, false)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	ctx := r.Context()
	p, err := planImage(ctx, c.DB, job)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	img, ok := c.cachedImage(job, p.etag)
	if !ok {
		t := time.NewTimer(c.imageWait)
		defer t.Stop()
		select {
		case c.joining <- struct{}{}:
		case <-t.C:
			writeAPIError(w, refuse(http.StatusServiceUnavailable, "busy", "busy stitching another image; try again in a second"))
			return
		case <-ctx.Done():
			return
		}
		img, ok = c.cachedImage(job, p.etag) // made while this one waited
		if !ok {
			img, err = c.stitch(ctx, job, p)
		}
		<-c.joining
		if err != nil {
			writeAPIError(w, err)
			return
		}
	}
	sandboxed(w.Header(), p.etag)
	w.Header().Set("Content-Type", "image/png")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(img))
}

// stitch reads a job's tiles and joins them, and keeps the image.
func (c *ComputeOutputs) stitch(ctx context.Context, job int, p imagePlan) ([]byte, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT idx, output FROM compute_tasks WHERE job = $1 ORDER BY idx`, job)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tilesPNG := make([][]byte, 0, p.tasks)
	for rows.Next() {
		var idx int
		var out []byte
		if err := rows.Scan(&idx, &out); err != nil {
			return nil, err
		}
		o, err := sandbox.DecodeOutput(out)
		if err != nil || len(o.Files) != 1 {
			return nil, refuse(http.StatusNotFound, "no_image", "job %d has no image: the output of task %d is not one file", job, idx)
		}
		tilesPNG = append(tilesPNG, o.Files[0].Data)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(tilesPNG) != p.tasks {
		return nil, refuse(http.StatusNotFound, "no_image", "job %d has no image: the index has %d of its %d tiles", job, len(tilesPNG), p.tasks)
	}
	img, err := tiles.JoinPNGTiles(tilesPNG, p.cols)
	if err != nil {
		return nil, refuse(http.StatusNotFound, "no_image", "job %d has no image: %v", job, err)
	}
	c.keepImage(job, cachedImage{etag: p.etag, png: img})
	return img, nil
}

func (c *ComputeOutputs) cachedImage(job int, etag string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.images[job]
	return e.png, ok && e.etag == etag
}

// keepImage caches an image, dropping others (any) to stay within
// imageCacheBytes; an image larger than a quarter of that is not kept.
func (c *ComputeOutputs) keepImage(job int, img cachedImage) {
	if len(img.png) > imageCacheBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.images[job]; ok {
		c.cached -= len(old.png)
		delete(c.images, job)
	}
	for id, e := range c.images {
		if c.cached+len(img.png) <= imageCacheBytes {
			break
		}
		c.cached -= len(e.png)
		delete(c.images, id)
	}
	c.images[job] = img
	c.cached += len(img.png)
}
