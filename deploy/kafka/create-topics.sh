#!/usr/bin/env bash
# Create every topic of the deployment (idempotent); run once by the compose service `topics`.
#
# Environment: BOOTSTRAP_SERVER (host:port), TOPIC_PARTITIONS (default 6: the most router replicas
# that all get work), TOPIC_REPLICATION (default 1: a single broker). Existing topics are kept; one
# with fewer partitions than asked for is grown, since Kafka can add partitions but never remove them.
set -euo pipefail

BOOTSTRAP_SERVER="${BOOTSTRAP_SERVER:-kafka:29092}"
TOPIC_PARTITIONS="${TOPIC_PARTITIONS:-6}"
TOPIC_REPLICATION="${TOPIC_REPLICATION:-1}"
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"

# Router inputs, its department outputs and dead letters, then the trainer's topics.
TOPICS=(
  tickets.complaints
  tickets.social
  routed.cards
  routed.accounts
  routed.payments
  routed.loans
  routed.mortgages
  routed.credit_reporting
  routed.collections
  routed.triage
  tickets.dlq
  tickets.feedback
  loans.created
  loans.forecast
)

if ! [[ "$TOPIC_PARTITIONS" =~ ^[1-9][0-9]*$ ]]; then
  echo "TOPIC_PARTITIONS must be a positive integer, got '$TOPIC_PARTITIONS'" >&2
  exit 2
fi

topics() { "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP_SERVER" "$@"; }

existing="$(topics --list)"
for topic in "${TOPICS[@]}"; do
  if grep -qxF "$topic" <<<"$existing"; then
    current="$(topics --describe --topic "$topic" | sed -n 's/.*PartitionCount: *\([0-9]*\).*/\1/p' | head -n1)"
    if [[ -n "$current" && "$current" -lt "$TOPIC_PARTITIONS" ]]; then
      echo "growing $topic from $current to $TOPIC_PARTITIONS partitions"
      topics --alter --topic "$topic" --partitions "$TOPIC_PARTITIONS"
    else
      echo "kept $topic (${current:-?} partitions)"
    fi
  else
    topics --create --if-not-exists --topic "$topic" \
      --partitions "$TOPIC_PARTITIONS" --replication-factor "$TOPIC_REPLICATION"
  fi
done
echo "topics ready: ${#TOPICS[@]} topics, at least $TOPIC_PARTITIONS partitions each"
