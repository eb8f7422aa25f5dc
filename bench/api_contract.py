"""The long Schemathesis run against the REST API's OpenAPI contract (tests/test_api_contract.py is the short one).

Starts ``propscan serve`` on a free port over a temp store (holding the articles of ``--samples``
when given), runs ``st run`` with every check over the examples, coverage and fuzzing phases,
and prints its summary; the exit status is st's (0: nothing found).

    python bench/api_contract.py --samples ../shared/samples -n 200

Some rejections depend on data the schema cannot see, and are the only statuses added to
what "schema-valid request rejected" (ST202) expects, each on its own operation (CONTRACT_CONFIG).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: operation -> (statuses a schema-valid request may also get, why no schema can rule the request out)
DATA_DEPENDENT: dict[str, tuple[list[str], str]] = {
    "GET /api/articles": (["422"], "date_from after date_to: JSON Schema cannot compare two parameters"),
    "GET /api/stories": (["422"], "date_from after date_to: JSON Schema cannot compare two parameters"),
    "POST /api/analyze": (["400", "415"], "an HTML page with no article text in it, a link that cannot be "
                                          "fetched, an upload whose bytes are not text (a PNG named file.png)"),
    "POST /api/feedback": (["422"], "start not before end (two fields again), offsets past the article's end, "
                                    "no model span there: the article decides"),
}
#: what ST202 expects by default (Schemathesis 4), to which DATA_DEPENDENT adds
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def contract_config() -> dict[str, Any]:
    """The Schemathesis configuration (``schemathesis.toml`` as a dict) shared by this run and the test."""
    return {"operations": [
        {"include-name": name, "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED + extra}}}
        for name, (extra, _why) in DATA_DEPENDENT.items()]}


def config_toml(config: dict[str, Any]) -> str:
    """``contract_config()`` as TOML for ``st run --config-file`` (strings and string lists only)."""
    lines: list[str] = []
    for op in config["operations"]:
        lines += ["[[operations]]", f"include-name = {json.dumps(op['include-name'])}"]
        for check, values in op["checks"].items():
            for key, value in values.items():
                lines.append(f"checks.{check}.{key} = {json.dumps(value)}")
        lines.append("")
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 60.0) -> None:
    """Until the server answers (model loading takes seconds); SystemExit when it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not come up at {url}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=Path, help="articles to ingest first (e.g. ../shared/samples)")
    ap.add_argument("-n", "--max-examples", type=int, default=100, help="examples per operation and phase")
    ap.add_argument("--seed", type=int, default=1, help="Schemathesis/Hypothesis seed (fixed: repeatable)")
    args = ap.parse_args(argv)
    st = shutil.which("st") or shutil.which("schemathesis")
    if st is None:
        raise SystemExit("needs schemathesis (pip install propscan[test])")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    cli = [sys.executable, "-m", "propscan"]
    with tempfile.TemporaryDirectory(prefix="propscan-contract-") as tmp:
        db = str(Path(tmp) / "contract.db")
        if args.samples:
            subprocess.run([*cli, "ingest", str(args.samples), "--db", db, "-q"], env=env, check=True)
        config = Path(tmp) / "schemathesis.toml"
        config.write_text(config_toml(contract_config()), encoding="utf-8")
        port = free_port()
        server = subprocess.Popen([*cli, "serve", "--db", db, "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_up(f"{base}/healthz")
            cmd = [st, "--config-file", str(config), "run", f"{base}/openapi.json", "-c", "all",
                   "-n", str(args.max_examples), "--phases", "examples,coverage,fuzzing", "--seed", str(args.seed)]
            print("$", " ".join(cmd), flush=True)
            return subprocess.run(cmd, env=env).returncode
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
