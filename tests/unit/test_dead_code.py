"""Nothing in the tree is defined and never used: vulture reads every package, the
tests and the benchmarks, and any function, class, method or property nothing refers
to fails this test. (Fields of models and tables are read by their libraries; unused
imports are ruff's F401.)"""

from __future__ import annotations

from pathlib import Path

import vulture

ROOT = Path(__file__).resolve().parents[2]
READ = ["server", "domain", "breakouts", "interpretation", "scheduler", "tests", "bench"]
KINDS = {"function", "method", "class", "property"}
# called by their frameworks, not by our code
FRAMEWORK_DECORATORS = [
    "@router.*",
    "@app.*",
    "@*.listens_for",
    "@*.exception_handler",
    "@*.command",
    "@*.callback",
    "@field_validator",
    "@model_validator",
    "@pytest.fixture",
    "@rule",
    "@invariant",
    "@initialize",
    "@precondition",
    # registered for the server by decorator
    "@on_timer",
    "@snapshot_part",
]
# SQLAlchemy type decorators, asyncio protocols
FRAMEWORK_NAMES = [
    "process_bind_param",
    "process_result_value",
    "load_dialect_impl",
    "connection_made",
    "connection_lost",
    "data_received",
    "datagram_received",
    "error_received",
    # SQLAlchemy's async driver adapter calls these (server/sqlite_driver.py)
    "_async_soft_close",
    "_execute_async",
    "_executemany_async",
]


def test_nothing_is_defined_that_nothing_uses() -> None:
    finder = vulture.Vulture(ignore_decorators=FRAMEWORK_DECORATORS, ignore_names=FRAMEWORK_NAMES)
    finder.scavenge([str(ROOT / path) for path in READ], exclude=["*/migrations/*"])
    unused = [
        item.get_report(add_size=False).replace(f"{ROOT}/", "")
        for item in finder.get_unused_code(min_confidence=0)
        if item.typ in KINDS
    ]
    assert unused == []
