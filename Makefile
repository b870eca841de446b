# stella — build, test and measure. Every target works with only Go installed.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X github.com/stella-policy/stella/internal/buildinfo.Version=$(VERSION) \
           -X github.com/stella-policy/stella/internal/buildinfo.Commit=$(COMMIT)

.PHONY: build test race lint cover bench fuzz conformance

build:
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o stella ./cmd/stella

test:
	go test ./...

race:
	go test -race ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...

cover:
	go test -coverprofile=cover.out ./...
	go tool cover -func=cover.out | tail -1

conformance:
	go test -run 'Conformance' -count=1 ./...

fuzz:
	./scripts/fuzz.sh

bench:
	./scripts/bench.sh
