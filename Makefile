# backstop: `make run` starts the system on SQLite with demo data; `make
# test` runs every test. Both install what they need (npm packages for the
# embedded front-end libraries; Chromium for the browser test).

GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
VENDOR  := web/static/vendor

.PHONY: all assets build run test test-short bench vet clean screenshots

all: build

# Front-end libraries come from npm (package-lock.json pins them) and are
# copied into the embedded static folder; they are never committed.
$(VENDOR)/echarts.min.js $(VENDOR)/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js

assets: $(VENDOR)/echarts.min.js $(VENDOR)/htmx.min.js

build: assets
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/backstop ./cmd/backstop

run: build
	./bin/backstop serve --demo

vet:
	$(GO) vet ./...

test: assets
	bash scripts/ensure-test-tools.sh
	$(GO) test -count=1 -timeout 30m ./...

# Screenshots of the main pages as each role sees them, at desk and phone
# size, into DIR (default /tmp/backstop-screenshots), outside the repository.
screenshots: assets
	bash scripts/ensure-test-tools.sh
	$(GO) test ./web/ -run Screenshots -count=1 -screenshots $(or $(DIR),/tmp/backstop-screenshots)

test-short:
	$(GO) test -short ./...

bench:
	bash bench/run.sh

clean:
	rm -rf bin node_modules $(VENDOR)/*.js
