"""Injected faults against the real router: kill -9, poison traffic, a lost broker, broken bundles."""

from __future__ import annotations

import json
import random
import signal
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.mask_records import mask_raw
from schemas.outputs import DeadLetter
from streaming.embedded_broker import EmbeddedBroker, free_port
from streaming.kafka_config import KafkaSettings
from streaming.topics import ensure_topics
from tests.integration.router_process import (
    OutputReader,
    RouterProcess,
    Topics,
    complaint,
    http_get,
    make_topics,
    metric_value,
    produce,
    wait_for,
)

pytestmark = pytest.mark.slow
RouterFactory = Callable[..., RouterProcess]
TEXTS = ["my credit card was charged twice", "late mortgage payment", "debt collector calls", "credit report error"]


def _env(topics: Topics, group: str, bundle: Path, **extra: str) -> dict[str, str]:
    return {**topics.env(), "TICKET_ROUTER_GROUP_ID": group, "TICKET_ROUTER_MODEL_PATH": str(bundle), **extra}


@pytest.mark.parametrize("delivery", ["exactly_once", "at_least_once"])
def test_kill_9_at_random_points(
    delivery: str,
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: RouterFactory,
    tiny_bundle: Path,
) -> None:
    topics = make_topics(kafka_settings, unique_name)
    batch = 32
    # A stable transactional id lets the restarted replica fence its killed predecessor at once.
    env = _env(
        topics,
        unique_name("g"),
        tiny_bundle,
        TICKET_ROUTER_DELIVERY=delivery,
        TICKET_ROUTER_BATCH_SIZE=str(batch),
        TICKET_ROUTER_TRANSACTIONAL_ID=unique_name("tx"),
    )
    total = 2500
    produce(
        kafka_settings, ((topics.complaints, f"e{i}".encode(), complaint(f"e{i}", TEXTS[i % 4])) for i in range(total))
    )
    reader = OutputReader(kafka_settings, topics)
    rng = random.Random(7)
    kills = 0
    for round_ in range(3):
        router = start_router(env, f"r{round_}")
        target = len(reader.records) + rng.randrange(100, 600)
        wait_for(
            lambda t=target, p=router.process: len(reader.read_until(t, timeout=0.3)) >= t or p.poll() is not None,
            120,
            "progress before the kill",
        )
        router.process.send_signal(signal.SIGKILL)
        router.process.wait(timeout=10)
        kills += 1
    final = start_router(env, "final")
    final.wait_ready()  # the killed replicas may have routed everything already; the final one must still start
    reader.read_until(total, timeout=180)
    reader.drain(3.0)
    counts = Counter(reader.ids())
    assert set(counts) == {f"e{i}" for i in range(total)}, "nothing lost"
    duplicates = sum(n - 1 for n in counts.values())
    # Under exactly-once a killed replica's open transaction is aborted when its successor starts, and a
    # read_committed reader on Apache Kafka never sees it. The embedded broker still hands aborted records to
    # such readers (test_embedded_broker_hides_aborted_transactions), so here both modes are held to the
    # at-least-once bound: nothing lost, at most one batch repeated per crash.
    assert duplicates <= kills * batch, f"{duplicates} duplicates: more than one batch per crash"
    assert final.terminate() == 0
    reader.close()


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
POISON = st.one_of(
    st.binary(max_size=200),
    JSONISH.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["complaint", "social", "fax", ""]),
            "event_id": st.text(max_size=20),
            "text": st.text(max_size=100),
            "created_at": st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-01", "x"]),
        }
    ).map(lambda d: json.dumps(d).encode()),
    st.just(b"[" * 3000 + b"]" * 3000),
    st.just(
        json.dumps(
            {"kind": "complaint", "event_id": "big", "text": "x" * 200_000, "created_at": "2026-01-01T00:00:00Z"}
        ).encode()
    ),
    st.text(alphabet=st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), min_size=1, max_size=20).map(
        lambda t: complaint("emoji", t)
    ),
)


def test_poison_and_fuzz_interleaved_with_valid_events(
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: RouterFactory,
    tiny_bundle: Path,
) -> None:
    topics = make_topics(kafka_settings, unique_name)
    router = start_router(_env(topics, unique_name("g"), tiny_bundle))
    router.wait_ready()
    payloads: list[bytes] = []

    @settings(max_examples=300, database=None, suppress_health_check=list(HealthCheck), deadline=None)
    @given(POISON)
    def collect(value: bytes) -> None:
        payloads.append(value)

    collect()
    items = []
    for i, value in enumerate(payloads):
        items.append((topics.complaints, f"p{i}".encode(), value))
        items.append((topics.social, f"v{i}".encode(), complaint(f"v{i}", TEXTS[i % 4])))
    produce(kafka_settings, items)
    reader = OutputReader(kafka_settings, topics)
    reader.read_until(len(items), timeout=120)
    reader.drain(2.0)
    assert len(reader.records) == len(items), "routed + dead-lettered = produced"
    assert router.process.poll() is None, "the router survived"
    valid_ids = {f"v{i}" for i in range(len(payloads))}
    assert valid_ids <= set(reader.ids())
    for record in reader.records:
        if record.topic == topics.dlq:
            letter = DeadLetter.model_validate_json(record.value)
            payload = payloads[int(record.key.decode()[1:])]
            # The raw value as read, with what looks like personal data (a long digit run, say) masked.
            assert letter.raw_bytes() == (mask_raw(payload)[0] if letter.masked else payload)
            assert letter.reason in {
                "invalid_json",
                "not_utf8",
                "unknown_kind",
                "schema_error",
                "empty_text",
                "oversized",
            }
    assert router.terminate() == 0
    reader.close()


def test_broker_outage_is_survived_without_restart(
    unique_name: Callable[[str], str], start_router: RouterFactory, tiny_bundle: Path
) -> None:
    port = free_port()
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}")
    tag = unique_name("t")
    topics = Topics(f"{tag}.complaints", f"{tag}.social", f"{tag}.routed.", f"{tag}.dlq")
    all_topics = [topics.complaints, topics.social, *topics.outputs]
    with EmbeddedBroker(port=port):
        ensure_topics(kafka, all_topics, partitions=2)
        router = start_router(
            {**_env(topics, unique_name("g"), tiny_bundle), "TICKET_ROUTER_BOOTSTRAP_SERVERS": kafka.bootstrap_servers}
        )
        router.wait_ready()
        produce(kafka, [(topics.complaints, b"a", complaint("a", TEXTS[0]))])
        reader = OutputReader(kafka, topics)
        assert reader.read_until(1) and reader.ids() == ["a"]
        reader.close()
    wait_for(lambda: http_get(router.port, "/readyz")[0] == 503, 60, "not-ready while the broker is away")
    assert http_get(router.port, "/healthz")[0] == 200
    with EmbeddedBroker(port=port):  # a new, empty broker: topics must be recreated
        ensure_topics(kafka, all_topics, partitions=2)
        router.wait_ready(timeout=120)
        produce(kafka, [(topics.complaints, b"b", complaint("b", TEXTS[1]))])
        reader = OutputReader(kafka, topics)
        assert reader.read_until(1, timeout=60) and reader.ids() == ["b"]
        reader.close()
        assert router.process.poll() is None, "recovered without a restart"
        # Polling rides out the outage in place; the new broker does not know the replica's transactional id, so
        # its first delivery fails and the clients are rebuilt, once.
        assert metric_value(router.metrics(), "ticket_router_broker_reconnects_total") == 1
        assert router.terminate() == 0


@pytest.mark.parametrize("fault", ["corrupt", "truncated", "label_mismatch", "missing_manifest"])
def test_broken_bundles_are_refused_at_start(
    fault: str, tiny_bundle: Path, tmp_path: Path, console_script: Callable[[str], Path]
) -> None:
    import shutil
    import subprocess

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    model_file = bundle / manifest["model_file"]
    if fault == "corrupt":
        data = bytearray(model_file.read_bytes())
        data[len(data) // 3] ^= 0x55
        model_file.write_bytes(bytes(data))
    elif fault == "truncated":
        model_file.write_bytes(model_file.read_bytes()[:1000])
    elif fault == "label_mismatch":
        manifest["labels"] = [*manifest["labels"], "extra_label"]
        manifest["label_to_department"]["extra_label"] = "cards"
        (bundle / "manifest.json").write_text(json.dumps(manifest))
    else:
        (bundle / "manifest.json").unlink()
    result = subprocess.run(
        [str(console_script("ticket-router")), "serve", "--model", str(bundle), "--http-port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "error" in result.stderr.lower() and "Traceback" not in result.stderr


@pytest.mark.xfail(
    strict=True,
    reason="the embedded Tansu broker returns records of aborted transactions to read_committed readers; "
    "when it stops doing so this test passes, fails as XPASS, and the kill -9 test can demand zero duplicates",
)
def test_embedded_broker_hides_aborted_transactions(
    kafka_settings: KafkaSettings, unique_name: Callable[[str], str]
) -> None:
    from kafka import KafkaProducer

    topic = unique_name("tx")
    ensure_topics(kafka_settings, [topic], partitions=1)
    producer = KafkaProducer(**kafka_settings.client_kwargs(), transactional_id=unique_name("tx-id"))
    producer.init_transactions()
    producer.begin_transaction()
    producer.send(topic, b"aborted")
    producer.flush()
    producer.abort_transaction()
    producer.begin_transaction()
    producer.send(topic, b"committed")
    producer.commit_transaction()
    producer.close()
    reader = OutputReader(kafka_settings, Topics(topic, topic, "unused.", topic))
    reader.consumer.unsubscribe()
    reader.consumer.subscribe([topic])
    values = [r.value for r in reader.read_until(2, timeout=10)]
    reader.close()
    assert values == [b"committed"]
