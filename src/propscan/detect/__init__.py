"""Detectors: the ONNX span tagger, rule-based detectors and paragraph labels."""
