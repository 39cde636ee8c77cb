"""Walking the service's OpenAPI document."""

from __future__ import annotations


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, op in item.items():
            yield path, method, op
