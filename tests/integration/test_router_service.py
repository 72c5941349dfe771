"""The real ``ticket-router serve`` process against the embedded broker: routing, bad input, SIGTERM, reload."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.outputs import DeadLetter
from service.demo_traffic import malformed_messages
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

TEXTS = [
    "my credit card was charged twice",
    "the mortgage payment was not applied to my home loan",
    "a debt collector keeps calling me",
    "wrong account on my credit report",
]
RouterFactory = Callable[..., RouterProcess]


def _env(topics: Topics, group: str, **extra: str) -> dict[str, str]:
    return {**topics.env(), "TICKET_ROUTER_GROUP_ID": group, **extra}


def test_every_event_lands_exactly_once_and_bad_input_is_dead_lettered(
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: RouterFactory,
    tiny_bundle: Path,
) -> None:
    topics = make_topics(kafka_settings, unique_name)
    router = start_router(_env(topics, unique_name("g"), TICKET_ROUTER_MODEL_PATH=str(tiny_bundle)))
    router.wait_ready()
    bad = malformed_messages(topics.complaints)
    good = [
        (topics.complaints if i % 2 else topics.social, f"e{i}".encode(), complaint(f"e{i}", TEXTS[i % 4]))
        for i in range(300)
    ]
    items = good[:150] + [(m.topic, m.key, m.value) for m in bad] + good[150:]
    produce(kafka_settings, items)

    reader = OutputReader(kafka_settings, topics)
    reader.read_until(len(items))
    reader.drain(1.5)
    ids = reader.ids()
    assert Counter(ids) == Counter([f"e{i}" for i in range(300)] + [f"dlq:{m.key.decode()}" for m in bad])
    letters = [DeadLetter.model_validate_json(r.value) for r in reader.records if r.topic == topics.dlq]
    assert sorted(d.reason for d in letters) == sorted(m.expect_dlq or "" for m in bad)
    for letter in letters:
        assert letter.source.topic == topics.complaints and letter.raw_bytes() in {m.value for m in bad}
    routed = [json.loads(r.value) for r in reader.records if r.topic != topics.dlq]
    assert {r["model_version"] for r in routed} == {json.loads((tiny_bundle / "manifest.json").read_text())["version"]}
    for record in reader.records:
        if record.topic != topics.dlq:
            assert record.topic == f"{topics.prefix}{json.loads(record.value)['department']}"
            assert dict(record.headers)["model-version"]
    reader.close()

    body = router.metrics()
    assert metric_value(body, "ticket_router_events_consumed_total") == len(items)
    assert metric_value(body, "ticket_router_events_routed_total") == 300
    assert metric_value(body, "ticket_router_events_dead_lettered_total", reason="not_utf8") == 1
    assert metric_value(body, "ticket_router_batch_size_events_count") >= 1
    assert metric_value(body, "ticket_router_batch_size_events_sum") == len(items), "the batches hold every record once"
    assert router.terminate() == 0
    assert "Traceback" not in router.log()
    for text in TEXTS:
        assert text not in router.log(), "message text must never be logged"


def test_sigterm_mid_stream_loses_nothing_and_routes_nothing_twice(
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: RouterFactory,
    tiny_bundle: Path,
) -> None:
    topics = make_topics(kafka_settings, unique_name)
    env = _env(topics, unique_name("g"), TICKET_ROUTER_MODEL_PATH=str(tiny_bundle), TICKET_ROUTER_BATCH_SIZE="32")
    first = start_router(env, "first")
    first.wait_ready()
    total = 3000
    produce(
        kafka_settings, ((topics.complaints, f"e{i}".encode(), complaint(f"e{i}", TEXTS[i % 4])) for i in range(total))
    )
    reader = OutputReader(kafka_settings, topics)
    wait_for(lambda: len(reader.read_until(50, timeout=0.5)) >= 50, 60, "the first routed events")
    assert first.terminate(timeout=30) == 0, first.log()[-2000:]
    routed_before = len(reader.drain(1.0))
    assert routed_before < total, "SIGTERM should have landed mid-stream"

    second = start_router(env, "second")
    reader.read_until(total, timeout=120)
    reader.drain(2.0)
    ids = reader.ids()
    assert len(ids) == total and set(ids) == {f"e{i}" for i in range(total)}, "each event exactly once"
    assert second.terminate() == 0
    reader.close()


def _copy_bundle(source: Path, registry: Path, version: str) -> Path:
    target = registry / version
    shutil.copytree(source, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["version"] = version
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def _point_current(registry: Path, version: str) -> None:
    tmp = registry / "CURRENT.tmp"
    tmp.write_text(version + "\n")
    tmp.replace(registry / "CURRENT")


def test_hot_reload_refuses_corrupt_bundle_and_picks_up_a_good_one(
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: RouterFactory,
    tiny_bundle: Path,
    tmp_path: Path,
) -> None:
    registry = tmp_path / "registry"
    registry.mkdir()
    _copy_bundle(tiny_bundle, registry, "v1")
    _point_current(registry, "v1")
    topics = make_topics(kafka_settings, unique_name)
    router = start_router(
        _env(topics, unique_name("g"), TICKET_ROUTER_REGISTRY=str(registry), TICKET_ROUTER_RELOAD_INTERVAL_S="0.3")
    )
    router.wait_ready()
    reader = OutputReader(kafka_settings, topics)

    corrupt = _copy_bundle(tiny_bundle, registry, "v2")
    model_file = corrupt / json.loads((corrupt / "manifest.json").read_text())["model_file"]
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_file.write_bytes(bytes(data))
    _point_current(registry, "v2")
    wait_for(
        lambda: metric_value(router.metrics(), "ticket_router_model_reloads_total", outcome="refused") >= 1,
        30,
        "the corrupt bundle to be refused",
    )
    produce(kafka_settings, [(topics.complaints, b"a", complaint("a", TEXTS[0]))])
    reader.read_until(1)
    assert json.loads(reader.records[-1].value)["model_version"] == "v1", "the old model keeps serving"

    _copy_bundle(tiny_bundle, registry, "v3")
    _point_current(registry, "v3")
    wait_for(
        lambda: metric_value(router.metrics(), "ticket_router_model_info", version="v3") == 1,
        60,
        "the good bundle to be loaded",
    )
    produce(kafka_settings, [(topics.complaints, b"b", complaint("b", TEXTS[1]))])
    reader.read_until(2)
    assert json.loads(reader.records[-1].value)["model_version"] == "v3"
    assert router.process.poll() is None, "no restart happened"
    reader.close()
    assert router.terminate() == 0


def test_waits_for_an_absent_broker_then_becomes_ready(
    start_router: RouterFactory, unique_name: Callable[[str], str], tiny_bundle: Path
) -> None:
    port = free_port()
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}")
    tag = unique_name("t")
    topics = Topics(f"{tag}.complaints", f"{tag}.social", f"{tag}.routed.", f"{tag}.dlq")
    env = _env(topics, unique_name("g"), TICKET_ROUTER_MODEL_PATH=str(tiny_bundle))
    router = start_router({**env, "TICKET_ROUTER_BOOTSTRAP_SERVERS": kafka.bootstrap_servers})
    wait_for(lambda: http_get(router.port, "/healthz")[0] == 200, 60, "the HTTP endpoints")
    assert http_get(router.port, "/readyz")[0] == 503, "not ready without a broker"
    with EmbeddedBroker(port=port):
        ensure_topics(kafka, [topics.complaints, topics.social, *topics.outputs], partitions=2)
        router.wait_ready(timeout=60)
        produce(kafka, [(topics.social, b"x", complaint("x", TEXTS[0]))])
        reader = OutputReader(kafka, topics)
        assert reader.ids() == [] and reader.read_until(1) and reader.ids() == ["x"]
        reader.close()
        assert router.terminate() == 0


def test_the_router_runs_with_jemalloc_by_default(
    kafka_settings: KafkaSettings, unique_name: Callable[[str], str], start_router: RouterFactory, tiny_bundle: Path
) -> None:
    from service.allocator import find_library

    if find_library() is None:
        pytest.fail("Debian's libjemalloc2 is not installed (.ci/run installs it: apt-get install -y libjemalloc2)")
    topics = make_topics(kafka_settings, unique_name)
    router = start_router(_env(topics, unique_name("g"), TICKET_ROUTER_MODEL_PATH=str(tiny_bundle)))
    router.wait_ready()
    assert metric_value(router.metrics(), "ticket_router_allocator_info", allocator="jemalloc") == 1
    assert "memory allocator: jemalloc" in router.log()
    assert router.terminate() == 0
