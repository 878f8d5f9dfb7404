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


def test_the_model_module_imports_neither_torch_nor_sentence_transformers():
    assert _loaded("indexer.model", ("torch", "sentence_transformers", "transformers")) == []
