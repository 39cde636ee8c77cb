"""A problem object never carries the value of a secret-bearing field."""

from __future__ import annotations

import orjson
import pytest

from server import errors


@pytest.mark.parametrize("field", ["secret", "token", "admin_token", "new_password", "api_key"])
def test_values_of_secret_fields_are_left_out(field):
    r = errors.problem_response(
        422,
        "bad input",
        field=field,
        value="hunter2-xyz",
        errors=[{"field": field, "value": "hunter2-xyz"}, {"field": "name", "value": "Ana"}],
    )
    assert b"hunter2" not in r.body
    assert orjson.loads(r.body)["errors"][1] == {"field": "name", "value": "Ana"}


def test_a_validation_message_names_the_field_not_the_secret():
    detail, items = errors.describe_validation(
        [
            {
                "type": "string_too_short",
                "loc": ("body", "secret"),
                "msg": "too short",
                "input": "pw1",
            }
        ]
    )
    assert "secret" in detail and "pw1" not in detail and "pw1" not in str(items)
    detail, _ = errors.describe_validation(
        [{"type": "string_too_short", "loc": ("body", "name"), "msg": "too short", "input": "A"}]
    )
    assert "'A'" in detail  # other fields still show what was sent
