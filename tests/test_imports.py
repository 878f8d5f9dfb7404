"""What importing a module loads: the search core no web framework, the model module no torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.fast


def _loaded(module: str, candidates: tuple[str, ...]) -> list[str]:
    """Which of `candidates` a fresh interpreter has imported after `import module`."""
    code = (f"import sys, {module}; "
            f"print(' '.join(m for m in {candidates!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return out.stdout.split()


def test_the_search_core_imports_no_web_framework():
    web = ("fastapi", "starlette", "pydantic_settings", "limits", "uvicorn")
    assert _loaded("search_service.retrieval", web) == []
    assert _loaded("search_service", web) == []


def test_the_search_pipeline_imports_neither_the_web_nor_its_response_models():
    """The core returns dataclasses (`search_service.results`); mapping them to the HTTP
    contract's pydantic models is the web layer's job (`search_service.responses`)."""
    web = ("fastapi", "starlette", "pydantic", "pydantic_settings", "limits", "uvicorn",
           "search_service.schemas", "search_service.responses", "search_service.routes",
           "search_service.app")
    for core in ("search_service.pipeline", "search_service.results", "search_service.answer",
                 "search_service.fusion", "search_service.hybrid"):
        assert _loaded(core, web) == [], core


def test_the_model_module_imports_neither_torch_nor_sentence_transformers():
    assert _loaded("indexer.model", ("torch", "sentence_transformers", "transformers")) == []
