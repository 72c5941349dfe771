"""The classifier artefact both sides share: text cleaning, masking, Keras layers, label space, bundles, registry."""
