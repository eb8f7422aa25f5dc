"""``propscan serve``: the web app and REST API on one machine (FastAPI + uvicorn).

Imports of the web stack happen inside ``run`` so building the CLI parser (and
``propscan analyze``) never pays for FastAPI, uvicorn or SQLAlchemy.
"""

from __future__ import annotations

import argparse
import sys

DEFAULT_MAX_UPLOAD = 5_000_000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the web app and REST API",
                       description="Serve the analyze page, article pages, corpus search and the REST API "
                                   "(docs at /docs). Set PROPSCAN_API_TOKEN to require a token for writes.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--db", metavar="URL", default=None,
                   help="store: a SQLite file path or a database URL such as postgresql://user@host/db "
                        "(default: $PROPSCAN_DB or ./propscan.db)")
    p.add_argument("--max-upload", type=int, default=DEFAULT_MAX_UPLOAD, metavar="BYTES",
                   help="largest article accepted (default: 5000000)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="analysis threads; each batches queued requests (default: 1)")
    p.add_argument("--max-pending", type=int, default=1000, metavar="N",
                   help="analyses allowed to wait before requests get 503 (default: 1000)")
    p.add_argument("--fetch-private", action="store_true",
                   help="let pasted links reach loopback, private and link-local addresses (tests, intranets; "
                        "default: refused; env PROPSCAN_FETCH_PRIVATE=1)")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from ..web import Settings, create_app

    settings = Settings(max_upload_bytes=args.max_upload, workers=args.workers, max_pending=args.max_pending)
    if args.fetch_private:
        settings.fetch_private = True
    app = create_app(db_url=args.db, settings=settings)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not settings.api_token:
        print(f"propscan: warning: serving on {args.host} without PROPSCAN_API_TOKEN: anyone who can reach "
              "it can add articles and feedback", file=sys.stderr)
    print(f"propscan: serving on http://{args.host}:{args.port}/ (store: {app.state.store!r})", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, proxy_headers=False)
    return 0
