# Quick start: `make up` (install what is missing, start the whole platform), `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help:
	@echo "make up      install what is missing, build, start Kafka/Postgres/Redis/registry + services"
	@echo "make test    same set-up, then lint, generated-code check, unit, integration and chaos tests"
	@echo "make down    stop everything"
	@echo "make status  one line per component"

bootstrap:
	@bash stack/bootstrap.sh

up: bootstrap
	@bash stack/stack.sh up

down:
	@bash stack/stack.sh down

status:
	@bash stack/stack.sh status

test: bootstrap
	@bash stack/stack.sh restart-services
	@bash stack/check.sh
	@source stack/env.sh && npm run -s test:unit && npm run -s test:integration && TRIBUTARY_CHAOS=1 npm run -s test:chaos

bench-pings: bootstrap
	@bash stack/stack.sh up
	@source stack/env.sh && node dist/bench/pings-bench.js

bench-transactions: bootstrap
	@bash stack/stack.sh up
	@source stack/env.sh && node dist/bench/transactions-bench.js

# Kafka's ProducerPerformance/ConsumerPerformance, a Kafka Streams EOS-v2 app (bench/reference/, built
# with Maven on first use) and a bare node:http server, each beside the project's number with the
# ratio. Java parts are skipped with a message when java/mvn are missing.
bench-reference: bootstrap
	@bash stack/stack.sh up
	@source stack/env.sh && node dist/bench/reference-bench.js

# kafkajs against @platformatic/kafka: produce, consume, transactions, admin (as the adapter uses them).
bench-kafka-clients: bootstrap
	@bash stack/stack.sh up
	@source stack/env.sh && node dist/bench/kafka-clients-bench.js

# Timer state at scale: bytes per pending in a private redis-server, catch-up after 1M Starts, deadline ->
# callback at 1k timeouts/s (BENCH_TIMER_PENDING, BENCH_TIMER_RATE, BENCH_TIMER_SECONDS scale it).
bench-timers: bootstrap
	@bash stack/stack.sh up
	@source stack/env.sh && node dist/bench/timer-scale-bench.js

.PHONY: help bootstrap up down status test bench-pings bench-transactions bench-reference bench-kafka-clients bench-timers
