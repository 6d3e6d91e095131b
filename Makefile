# depin — developer tasks. The README's two quick-start commands need none of
# these; they are for regenerating code and running the slower suites.

BUF_VERSION := v1.50.0
PROTOC_GEN_GO_VERSION := v1.36.12
GOBIN ?= $(shell go env GOPATH)/bin

.PHONY: proto proto-tools test bench fuzz lint

proto-tools:
	GOFLAGS= go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	GOFLAGS= go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)

# Regenerate gen/ from proto/ with the pinned buf and protoc-gen-go.
proto: proto-tools
	rm -rf gen
	cd proto && PATH="$(GOBIN):$$PATH" buf lint && PATH="$(GOBIN):$$PATH" buf generate

test:
	go test ./...

bench:
	go test -run '^$$' -bench . -benchmem ./...

# Run each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

lint:
	gofmt -l $$(git ls-files '*.go' | grep -v '^gen/') | tee /dev/stderr | (! read)
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.6.1 ./...
