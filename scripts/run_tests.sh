#!/usr/bin/env bash
# Run the test suite. Integration tests find PostgreSQL and Kafka through
# ARKIV5_TEST_POSTGRES_URL and ARKIV5_TEST_KAFKA_STATE_DIR; when those are not set but the
# local servers of `make pg-up` / `make kafka-up` are running, they are used.
# ARKIV5_REQUIRE_SERVICES=1 turns every skip for a missing server into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_state=${PG_STATE_DIR:-.cache/postgres}
kafka_state=${KAFKA_STATE_DIR:-.cache/kafka}

if [[ -z "${ARKIV5_TEST_POSTGRES_URL:-}" ]] && python3 scripts/postgres_local.py status --state-dir "$pg_state" >/dev/null 2>&1; then
  ARKIV5_TEST_POSTGRES_URL=$(python3 scripts/postgres_local.py url --state-dir "$pg_state")
  export ARKIV5_TEST_POSTGRES_URL
fi
if [[ -z "${ARKIV5_TEST_KAFKA_STATE_DIR:-}" ]] && python3 scripts/kafka_broker.py status --state-dir "$kafka_state" >/dev/null 2>&1; then
  ARKIV5_TEST_KAFKA_STATE_DIR=$(cd "$kafka_state" && pwd)
  export ARKIV5_TEST_KAFKA_STATE_DIR
fi
echo "PostgreSQL: ${ARKIV5_TEST_POSTGRES_URL:-not configured}"
if [[ -n "${ARKIV5_TEST_KAFKA_STATE_DIR:-}" ]]; then echo "Kafka:      broker in $ARKIV5_TEST_KAFKA_STATE_DIR"; else echo "Kafka:      not configured"; fi
if [[ -n "${ARKIV5_REQUIRE_SERVICES:-}" ]]; then echo "Skips for a missing server are failures"; else echo "Skips for a missing server are allowed"; fi
exec uv run pytest "$@"
