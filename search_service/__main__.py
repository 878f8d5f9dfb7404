"""`python -m search_service --index DIR --host H --port N`."""

from __future__ import annotations

import argparse
from pathlib import Path

from search_service.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="search_service", description=__doc__)
    parser.add_argument("--index", type=Path, help="index directory (follows its `current` link)")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)

    import uvicorn

    from search_service.app import create_app

    overrides = {k: v for k, v in
                 {"index_dir": args.index, "host": args.host, "port": args.port}.items()
                 if v is not None}
    settings = Settings(**overrides)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
