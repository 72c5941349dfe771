"""Custom Keras layers of the classifier, registered so a saved ``.keras`` bundle loads with ``safe_mode``."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ticket_router")
class MaskedGlobalMaxPooling1D(keras.layers.Layer):  # type: ignore[misc]  # keras is untyped
    """Max over time of the real (unmasked) steps; Keras's own max pooling ignores the padding mask."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is not None:
            keep = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
            # Padded steps are pushed far below any activation, so they never win the max.
            inputs = inputs * keep + (1.0 - keep) * -1e9
        return ops.max(inputs, axis=1)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], input_shape[2])
