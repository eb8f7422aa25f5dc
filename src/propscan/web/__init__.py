"""The web app and REST API: paste or upload an article, read it highlighted, browse the store.

``create_app`` builds the FastAPI application over one store and one
analyzer; ``propscan serve`` runs it with uvicorn. Nothing here is imported
by ``propscan analyze``, so the CLI stays fast.
"""

from .app import create_app
from .settings import Settings

__all__ = ["create_app", "Settings"]
