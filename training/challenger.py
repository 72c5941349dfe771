"""Glue from the refresh loop to the classifier's training code: train a challenger, load the validation set."""

from __future__ import annotations

from service.errors import ConfigError
from training.feedback_store import FeedbackStore
from training.metrics import TrainerMetrics
from training.refresh import Refresher
from training.settings import TrainerSettings


def build_refresher(settings: TrainerSettings, store: FeedbackStore, metrics: TrainerMetrics) -> Refresher:
    """The refresher over the real classifier training code."""
    raise ConfigError("classifier training is not available in this build yet (training.classifier is missing)")
