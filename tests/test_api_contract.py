"""The REST API keeps its OpenAPI contract: a short Schemathesis run over the ASGI app finds nothing.

Schemathesis generates requests from /openapi.json (valid ones and, in negative mode, ones
breaking it) and checks every answer: no 500, only documented status codes, bodies matching
the response schemas, valid requests accepted, invalid ones refused, Allow on a 405.
The run is derandomized (Hypothesis' fixed seed) with few examples per operation, over a
temp store with one analysed article; ``bench/api_contract.py`` is the long run, and its
configuration (the statuses only the data decides) is used here too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis", reason="the contract test needs schemathesis "
                                                          "(pip install propscan[test])")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from conftest import load_bench  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from test_web_api import ARTICLE, make_app  # noqa: E402  (the app with a keyword tagger: known spans)

EXAMPLES = 8  # per operation and mode: 13 operations stay well under a minute

# Built at import, as Schemathesis' lazy fixture loader does not work with pytest 9: a temp store
# holding one analysed article (id 1), so reads and feedback reach real data. Schemathesis runs
# the app's lifespan itself.
_TMP = tempfile.TemporaryDirectory(prefix="propscan-contract-")
_CLIENT, _STORE = make_app(Path(_TMP.name), api_token=None)
with _CLIENT:
    assert _CLIENT.post("/api/analyze", json={"text": ARTICLE}).status_code == 200
# the bench's configuration: the few rejections only the data decides, per operation
_CONFIG = SchemathesisConfig.from_dict(load_bench("api_contract").contract_config())
schema = schemathesis.openapi.from_asgi("/openapi.json", _CLIENT.app, config=_CONFIG)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES,
                                deterministic=True)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    _STORE.close()
    _TMP.cleanup()


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_the_contract(case: Any) -> None:
    """Every check Schemathesis has, on every operation (the ids are test ids: one per operation)."""
    case.call_and_validate()


# -- the findings Schemathesis made, pinned as plain tests ---------------------------------------

@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    c, store = make_app(tmp_path, api_token=None)
    with c:
        yield c
    store.close()


def test_ids_beyond_the_databases_integers_are_not_found(client: Any) -> None:
    huge = 2**70
    assert client.delete(f"/api/articles/{huge}").status_code == 404
    assert client.patch(f"/api/articles/{huge}", json={"title": "x"}).status_code == 404


def test_dates_are_iso_days_only(client: Any) -> None:
    for bad in ("0", "20230517", "2023-02-30"):
        assert client.get("/api/articles", params={"date_to": bad}).status_code == 422, bad
    assert client.get("/api/stories", params={"date_from": "2023-05-17"}).status_code == 200
    aid = client.post("/api/analyze", json={"text": ARTICLE}).json()["id"]
    assert client.patch(f"/api/articles/{aid}", json={"date": "May 2023"}).status_code == 422
    assert client.patch(f"/api/articles/{aid}", json={"date": "2023-05-17"}).json()["date"] == "2023-05-17"


def test_a_405_names_every_method_of_the_path(client: Any) -> None:
    r = client.options("/api/articles/1")
    assert r.status_code == 405 and r.headers["allow"] == "GET, PATCH, DELETE"


def test_the_schema_states_what_the_code_checks(client: Any) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["paths"]["/api/techniques"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] \
        == {"$ref": "#/components/schemas/Taxonomy"}
    assert doc["components"]["schemas"]["ArticlePatch"]["minProperties"] == 1
    assert "400" in doc["paths"]["/api/feedback"]["post"]["responses"]
    compare = doc["paths"]["/api/compare"]["get"]["parameters"][0]["schema"]
    assert (compare["minItems"], compare["maxItems"], compare["uniqueItems"]) == (2, 5, True)
    assert client.get("/api/compare", params=[("outlet", "a"), ("outlet", "a")]).status_code == 422


def test_the_committed_schemathesis_config_is_the_contracts() -> None:
    """`st run` at the repository root reads schemathesis.toml: it must say what the tests check."""
    import tomllib

    from conftest import ROOT

    committed = tomllib.loads((ROOT / "schemathesis.toml").read_text(encoding="utf-8"))
    bench = load_bench("api_contract")
    assert committed == tomllib.loads(bench.config_toml(bench.contract_config()))
