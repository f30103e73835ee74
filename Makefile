# Quarry's developer commands. `make test` is the README's test command: it
# runs every package with -race on SQLite, PostgreSQL and MariaDB/MySQL and
# fails (never skips) when a server is unreachable.

QUARRY_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
QUARRY_TEST_MYSQL_URL    ?= mysql://root@127.0.0.1:3306/test
QUARRY_TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0
export QUARRY_TEST_POSTGRES_URL QUARRY_TEST_MYSQL_URL QUARRY_TEST_REDIS_URL

QUARRY := go run ./cmd/quarry

.PHONY: all gen migrations check-migrations makemigrations test test-sqlite demo lint bench bench-stack bench-admin bench-django bench-jobs bench-tenancy bench-tenancy-postgres bench-storage fuzz

all: gen lint test

## gen: run sqlc, check dialect parity, write shared types and adapters (framework, tenant registry and demo)
gen:
	$(QUARRY) gen --types queries
	cd tenancy && go run ../cmd/quarry gen --types registrydb
	cd examples/blog && go run ../../cmd/quarry gen --types db

## migrations: write the migrations that catch the framework's, the tenant registry's and the demo's migrations up
## with their DDL, on every dialect (needs the PostgreSQL and MySQL servers)
migrations:
	@$(MAKE) --no-print-directory makemigrations MM_FLAGS=

## check-migrations: fail when a migration is missing for a DDL change (CI runs it)
check-migrations:
	@$(MAKE) --no-print-directory makemigrations MM_FLAGS=--check

makemigrations:
	@for d in sqlite postgres mysql; do \
		case $$d in postgres) dev="$(QUARRY_TEST_POSTGRES_URL)";; mysql) dev="$(QUARRY_TEST_MYSQL_URL)";; *) dev="";; esac; \
		echo "framework ($$d):"; \
		$(QUARRY) makemigrations $(MM_FLAGS) --framework-schema --dialect $$d --dev-url "$$dev" \
			--schema sql/$$d --dir dialects/$$d/migrations || exit 1; \
		echo "tenant registry ($$d):"; \
		(cd tenancy && go run ../cmd/quarry makemigrations $(MM_FLAGS) --framework-schema --dialect $$d --dev-url "$$dev" \
			--schema sql/$$d --dir migrations/$$d) || exit 1; \
		echo "demo ($$d):"; \
		(cd examples/blog && go run ../../cmd/quarry makemigrations $(MM_FLAGS) --dialect $$d --dev-url "$$dev") || exit 1; \
	done

## test: all tests, all three databases, race detector on
test:
	QUARRY_TEST_REQUIRE_ALL=1 go test -race -count=1 -timeout 25m ./...

## test-sqlite: the tests without any database server (PostgreSQL and MySQL legs skip)
test-sqlite:
	QUARRY_TEST_POSTGRES_URL= QUARRY_TEST_MYSQL_URL= QUARRY_TEST_REDIS_URL= go test -count=1 ./...

## demo: the blog demo on SQLite under ./var (DATABASE_URL picks another database)
demo:
	go run ./examples/blog

## lint: formatting and vet
lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt: these files need formatting:"; gofmt -l .; exit 1; }
	go vet ./...

## bench: per-dialect query round trips, middleware cost, a one-query handler through the handle, session + user loading, and makemigrations on a 50-table
## schema with 20 pending changes, each beside its baseline; then bench-stack (needs wrk) and bench-tenancy
bench:
	QUARRY_TEST_REQUIRE_ALL=1 go test -run '^$$' -bench 'UserGetByID|Handler|HandleQuery|SessionUser' -benchmem -count=1 ./tests/
	QUARRY_TEST_REQUIRE_ALL=1 go test -run '^$$' -bench 'MakeMigrations' -benchtime 3x -count=1 ./tests/
	@$(MAKE) --no-print-directory bench-stack
	@$(MAKE) --no-print-directory bench-tenancy
	@$(MAKE) --no-print-directory bench-storage

## bench-storage: 1 MiB and 100 MiB files uploaded and downloaded through an HTTP server into the local disk and an
## S3 bucket (versitygw), raw and through the media service, beside io.Copy to a file, with each case's peak memory
## (go run ./bench/storage -h)
bench-storage:
	go run ./bench/storage

## bench-tenancy: 1,000 SQLite tenants (under a minute): migrate --all with nothing pending and with one pending
## migration, each beside a sequential MigrateTenant loop; a request to one of the tenants (resolve, route, one
## typed query) beside the same request without tenancy, and the first request to a cold tenant (go run ./bench/tenancy -h)
bench-tenancy:
	go run ./bench/tenancy -n 1000 -dialects sqlite

## bench-tenancy-postgres: the same migrations over 1,000 PostgreSQL databases (made from a template) and then
## 1,000 schemas in one database (schema mode) and a request to them (as bench-tenancy's, spread over 30 schemas
## with warm pools: a pool holds a backend), all dropped at the end; not in bench: it takes about six minutes
## and ~8 GB of disk (QUARRY_TEST_POSTGRES_URL's server)
bench-tenancy-postgres:
	go run ./bench/tenancy -n 1000 -dialects postgres,postgres-schema -postgres-url "$(QUARRY_TEST_POSTGRES_URL)"

## bench-stack: the default App stack end to end — a one-query JSON endpoint (20 rows, PostgreSQL) served by
## bare net/http + database/sql and by app.Handler(), each loaded by wrk -t2 -c8 -d10s, alternated twice, best
## of each and the ratio quarry/bare (the target is >= 0.95); then the stack's own CPU and allocations per
## request without network or database (BenchmarkStack). Needs wrk (apt-get install wrk); go run ./bench/stack -h
bench-stack:
	go run ./bench/stack -url "$(QUARRY_TEST_POSTGRES_URL)"
	go test -run '^$$' -bench 'Stack' -benchmem -count=1 ./bench/stack/

## bench-admin: the admin's list (first, deep keyset and deep offset pages), search, filter and edit pages on a
## 1,000,000-row table, PostgreSQL, MariaDB and SQLite, each beside its main SELECT run directly (go run ./bench/admin -h)
bench-admin:
	go run ./bench/admin -rows 1000000 -dialects postgres,mysql,sqlite

## bench-jobs: drain 100,000 no-op jobs on PostgreSQL (beside River, bench/jobs/river, on the same
## database), MySQL and SQLite; jobs/s, insert rate and median enqueue-to-start latency (go run ./bench/jobs -h)
bench-jobs:
	go run ./bench/jobs -n 100000 -workers 2000 -dialects postgres,mysql,sqlite

## bench-django: the Django 3.2 admin anchor (../shared/anchors/django: 1,000,000 posts on PostgreSQL) and
## Quarry's admin over the same database, the same pages, the same wrk settings, in one run
bench-django:
	@test -d ../shared/anchors/django || { echo "bench-django needs the Django anchor (../shared/anchors/django), which is not part of this repository; see docs/development.md"; exit 1; }
	@test -d /tmp/django-anchor || bash ../shared/anchors/django/setup.sh 1000000
	@psql -q -h 127.0.0.1 -U postgres -d django_anchor -c 'VACUUM (ANALYZE) blog_post' # as autovacuum would after the load; both measure the same table
	bash ../shared/anchors/django/measure.sh
	@bash bench/django/django-page.sh 5000
	go run ./bench/django

## fuzz: fuzz the DATABASE_URL parser, the password-hash parser, the login redirect (next=), the text check,
## the rows engine's value, key and page-token parsers and the media file-name normaliser, 30s each (FuzzLoginForm hashes a password per input:
## run it alone for longer)
fuzz:
	go test -run '^$$' -fuzz FuzzParseURL -fuzztime 30s -parallel 1 ./dialects/
	go test -run '^$$' -fuzz FuzzParseHash -fuzztime 30s -parallel 1 ./framework/auth/
	go test -run '^$$' -fuzz FuzzSafeNext -fuzztime 30s -parallel 1 ./framework/authhttp/
	go test -run '^$$' -fuzz FuzzClean -fuzztime 30s -parallel 1 ./framework/textinput/
	go test -run '^$$' -fuzz FuzzParse -fuzztime 30s -parallel 1 ./framework/records/
	go test -run '^$$' -fuzz FuzzDecodeKey -fuzztime 30s -parallel 1 ./framework/records/
	go test -run '^$$' -fuzz FuzzCursor -fuzztime 30s -parallel 1 ./framework/records/
	go test -run '^$$' -fuzz FuzzNormalizeFilename -fuzztime 30s -parallel 1 ./framework/media/
