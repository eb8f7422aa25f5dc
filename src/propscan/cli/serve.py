"""``propscan serve``: the web app and REST API on one machine (FastAPI + uvicorn).

Imports of the web stack happen inside ``run`` so building the CLI parser (and
``propscan analyze``) never pays for FastAPI, uvicorn or SQLAlchemy.
"""

from __future__ import annotations

import argparse
import os
import sys

DEFAULT_MAX_UPLOAD = 5_000_000
STOP_GRACE_S = 3


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
                        "default: refused)")
    p.add_argument("--max-pending-bytes", type=int, default=50_000_000, metavar="BYTES",
                   help="bytes of request bodies allowed to wait before requests get 503 (default: 50000000)")
    p.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                   help="a host name this server answers to (repeatable; default: the --host address and "
                        "localhost; '*' answers any Host header, e.g. behind a proxy that checks it)")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from ..web import Settings, create_app
    from ..web.settings import TOKEN_ENV, default_hosts

    settings = Settings(max_upload_bytes=args.max_upload, workers=args.workers, max_pending=args.max_pending,
                        max_pending_bytes=args.max_pending_bytes,
                        allowed_hosts=default_hosts(args.host, tuple(args.allowed_host)),
                        api_token=os.environ.get(TOKEN_ENV) or None, core=args.settings)
    settings.fetch_private = bool(args.fetch_private)
    app = create_app(db_url=args.db, settings=settings)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not settings.api_token:
        print(f"propscan: warning: serving on {args.host} without PROPSCAN_API_TOKEN: anyone who can reach "
              "it can add articles and feedback", file=sys.stderr)
    print(f"propscan: serving on http://{args.host}:{args.port}/ (store: {app.state.store!r})", file=sys.stderr)
    if args.host in ("0.0.0.0", "::") and not args.allowed_host:
        print("propscan: note: only Host localhost is answered; give the names clients use with --allowed-host",
              file=sys.stderr)
    # SIGTERM: requests still open after a few seconds are cancelled, then the workers get two more
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, proxy_headers=False,
                timeout_graceful_shutdown=STOP_GRACE_S)
    return 0
