"""End to end in a real browser: the router sends an event to triage, an agent routes it on the page, the
department topic and the trainer's feedback store receive the decision."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from schemas.feedback import Feedback
from schemas.outputs import RoutedEvent
from streaming.embedded_broker import EmbeddedBroker
from streaming.kafka_config import KafkaSettings
from streaming.topics import ensure_topics
from tests.console_fakes import triage_event
from tests.integration.browser import chromium
from tests.integration.console_process import ConsoleProcess
from tests.integration.router_process import RouterProcess, complaint, make_topics, produce, wait_for
from tests.integration.test_console_service import read_all
from training.feedback.consumer import FeedbackConsumer
from training.feedback.store import FeedbackStore
from training.metrics import TrainerMetrics

TOKEN = "e2e-token-0123456789abcdef"  # noqa: S105 - a test secret
COMPLAINTS = [
    ("e2e-1", "I was charged twice for the same purchase and the merchant will not answer my emails"),
    ("e2e-2", "why is my transfer still pending after three days"),
    ("e2e-3", "the interest on my statement looks wrong"),
]
SCREENSHOT_ENV = "CONSOLE_SCREENSHOT"
"""Where to keep the page's screenshot (docs/console.png when the README's picture is refreshed)."""


@pytest.mark.slow
def test_an_agent_routes_a_triage_event_in_the_browser(
    broker: EmbeddedBroker,
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: Callable[..., RouterProcess],
    console_script: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    topics = make_topics(kafka_settings, unique_name)
    feedback_topic = unique_name("feedback")
    ensure_topics(kafka_settings, [feedback_topic], partitions=2)
    # Every event to triage: the shipped model's confidence never reaches 1.
    router = start_router(
        {**topics.env(), "TICKET_ROUTER_TRIAGE_THRESHOLD": "1.0", "TICKET_ROUTER_GROUP_ID": unique_name("r")}
    )
    tokens = tmp_path / "tokens"
    tokens.write_text(f"alice {TOKEN}\n")
    console = ConsoleProcess(
        console_script("ticket-console"),
        broker.bootstrap,
        {
            "TICKET_CONSOLE_TRIAGE_TOPIC": f"{topics.prefix}triage",
            "TICKET_CONSOLE_ROUTED_TOPIC_PREFIX": topics.prefix,
            "TICKET_CONSOLE_FEEDBACK_TOPIC": feedback_topic,
            "TICKET_CONSOLE_GROUP_ID": unique_name("console"),
            "TICKET_CONSOLE_DATABASE_URL": f"sqlite:///{tmp_path / 'console.sqlite3'}",
            "TICKET_CONSOLE_AUTH": "token",
            "TICKET_CONSOLE_TOKENS_FILE": str(tokens),
        },
        tmp_path / "console.log",
    )
    store = FeedbackStore(tmp_path / "feedback.sqlite3").open()
    trainer = FeedbackConsumer(
        kafka_settings, feedback_topic, unique_name("trainer"), store, TrainerMetrics(CollectorRegistry())
    )
    trainer.start()
    try:
        router.wait_ready(timeout=180)
        console.wait_ready()
        produce(kafka_settings, [(topics.complaints, key.encode(), complaint(key, text)) for key, text in COMPLAINTS])
        # Two events as the router writes them once priorities and explanations ship (schemas/outputs.py).
        extra = [
            triage_event(
                "e2e-urgent",
                "My card was stolen yesterday and someone is still using it for purchases abroad",
                priority="urgent",
                explanation=["card", "stolen", "purchases"],
            ),  # fmt: skip
            triage_event(
                "e2e-loan",
                "Can I pay off my car loan early without a fee?",
                explanation=["loan", "pay off"],
                alternatives=(
                    ("cfpb:vehicle_loan", "loans", 0.46),
                    ("cfpb:payday_loan", "loans", 0.2),
                    ("cfpb:debt_collection", "collections", 0.18),
                ),
            ),  # fmt: skip
        ]
        produce(
            kafka_settings,
            [(f"{topics.prefix}triage", e.event.event_id.encode(), e.model_dump_json().encode()) for e in extra],
        )

        with chromium() as browser:
            browser.get(console.url + "/")
            # The page re-renders the queue and the open item as updates arrive: element handles may go stale, so
            # waits retry them, clicks go through ``click`` and lists are read in one script call.
            wait = WebDriverWait(browser, 60, ignored_exceptions=[StaleElementReferenceException])

            def click(selector: str) -> None:
                wait.until(lambda b: b.find_element(By.CSS_SELECTOR, selector).click() or True)

            wait.until(expected_conditions.visibility_of_element_located((By.ID, "token"))).send_keys(TOKEN)
            browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
            wait.until(lambda b: b.find_element(By.ID, "agent").text == "alice")
            wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#items li")) == 5)  # updates without a reload
            queue = browser.execute_script(
                "return [...document.querySelectorAll('#items li')]"
                ".map(li => [li.dataset.eventId, li.querySelector('.badge.urgent') !== null]);"
            )
            urgent = [u for _, u in queue]
            assert urgent == sorted(urgent, reverse=True) and urgent[0], "urgent items first"
            assert "e2e-urgent" in [event_id for event_id, u in queue if u]
            click('#items li[data-event-id="e2e-urgent"]')
            wait.until(
                lambda b: (
                    [m.text for m in b.find_elements(By.CSS_SELECTOR, ".text mark")] == ["card", "stolen", "purchases"]
                )
            )
            shot = Path(os.environ.get(SCREENSHOT_ENV) or tmp_path / "console.png")
            shot.parent.mkdir(parents=True, exist_ok=True)
            assert browser.save_screenshot(str(shot))

            click('#items li[data-event-id="e2e-1"]')
            wait.until(lambda b: "charged twice" in b.find_element(By.CSS_SELECTOR, ".text").text)
            choices = browser.execute_script(
                "return [...document.querySelectorAll('.suggestions button')].map(b => b.dataset.choice);"
            )
            assert 1 <= len(choices) <= 3
            choice = choices[0]
            assert choice is not None and choice != "not_banking", "the model should see a banking complaint"
            click(f'.suggestions button[data-choice="{choice}"]')
            wait.until(lambda b: b.find_element(By.ID, "toast").is_displayed())
            assert "Sent to" in browser.find_element(By.ID, "toast").text
            wait.until(lambda b: not b.find_elements(By.CSS_SELECTOR, '#items li[data-event-id="e2e-1"]'))
            # The 401 before signing in is expected (a network entry); a script error is not.
            errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and e["source"] != "network"]
            assert not errors, errors

        (record,) = read_all(kafka_settings, f"{topics.prefix}{choice}", 1)
        routed = RoutedEvent.model_validate_json(record.value)
        assert routed.event.event_id == "e2e-1" and routed.reason == "agent" and routed.agent == "alice"
        assert routed.suggested is not None and routed.suggested.department == choice
        (feedback,) = [Feedback.model_validate_json(r.value) for r in read_all(kafka_settings, feedback_topic, 1)]
        assert (feedback.ticket_id, feedback.correct_department, feedback.agent) == ("e2e-1", choice, "alice")
        wait_for(lambda: store.count() == 1, 60, "the trainer's feedback store to count the correction")
        assert [c.ticket_id for c in store.corrections()] == ["e2e-1"]
        status, item = console.call("GET", "/api/items/e2e-1", agent=None)
        assert status == 401
    finally:
        trainer.stop()
        store.close()
        console.kill()
        router.kill()
