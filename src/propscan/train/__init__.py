"""Training code for propscan models (needs the ``[train]`` extra: torch, transformers).

Nothing here is imported by the runtime; heavy imports happen inside functions.
"""
