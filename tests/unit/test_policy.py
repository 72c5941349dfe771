"""Precision-target settings: parsing, validation with clear errors, fuzzed override strings."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.decisions import CurvePoint
from service.policy import ROUTABLE, parse_department_targets, point_for
from service.settings import RouterSettings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TARGET_PRECISION", "TARGET_PRECISION_BY_DEPARTMENT", "TRIAGE_THRESHOLD", "EXPLAIN"):
        monkeypatch.delenv(f"TICKET_ROUTER_{name}", raising=False)


def test_the_documented_example_and_spacing() -> None:
    assert parse_department_targets("collections=0.98,cards=0.9") == {"collections": 0.98, "cards": 0.9}
    assert parse_department_targets(" collections = 0.98 , ,cards=0.90,") == {"collections": 0.98, "cards": 0.9}
    assert parse_department_targets("") == {}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("collections=1.5", "the target of collections must be a number from 0.8 to 0.99"),
        ("collections=0.5", "from 0.8 to 0.99"),
        ("collections=nan", "from 0.8 to 0.99"),
        ("collections=inf", "from 0.8 to 0.99"),
        ("collection=0.9", "unknown department 'collection'; departments with a target are cards"),
        ("triage=0.9", "unknown department 'triage'"),
        ("cards", "'cards' is not department=target"),
        ("cards=high", "the target of cards is not a number: 'high'"),
        ("cards=0.9,cards=0.95", "department 'cards' is given twice"),
        ("cards=0.9" * 200, "longer than 1000 characters"),
    ],
)
def test_bad_targets_are_clear_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_department_targets(spec)
    with pytest.raises(ValidationError, match="target_precision_by_department"):
        RouterSettings(target_precision_by_department=spec)  # type: ignore[arg-type]


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKET_ROUTER_TARGET_PRECISION_BY_DEPARTMENT", "collections=0.98,cards=0.9")
    monkeypatch.setenv("TICKET_ROUTER_TARGET_PRECISION", "0.97")
    s = RouterSettings()
    assert s.target_precision == 0.97 and s.target_precision_by_department == {"collections": 0.98, "cards": 0.9}
    assert s.triage_threshold is None and s.explain == "triage"
    assert RouterSettings(target_precision_by_department={"cards": 0.9}).target_precision_by_department == {
        "cards": 0.9
    }
    for bad in ("0.5", "1", "high"):
        monkeypatch.setenv("TICKET_ROUTER_TARGET_PRECISION", bad)
        with pytest.raises(ValidationError, match="target_precision"):
            RouterSettings()


def test_a_target_between_grid_points_uses_the_stricter_point() -> None:
    points = [CurvePoint(target=t, threshold=t / 2, precision=t, coverage=0.5, routed=1) for t in (0.8, 0.81, 0.82)]
    assert point_for(points, 0.805) == points[1]
    assert point_for(points, 0.81) == points[1]
    assert point_for(points, 0.83) is None


pair = st.tuples(st.sampled_from([*ROUTABLE, "triage", "", "x"]), st.text(max_size=8) | st.floats().map(str))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.lists(pair, max_size=5).map(lambda ps: ",".join(f"{d}={v}" for d, v in ps)))
def test_any_override_string_is_parsed_or_a_clean_settings_error(spec: str) -> None:
    try:
        parsed = RouterSettings(target_precision_by_department=spec).target_precision_by_department  # type: ignore[arg-type]
    except ValidationError as exc:
        assert "target_precision_by_department" in str(exc)
        return
    assert set(parsed) <= set(ROUTABLE)
    assert all(0.8 <= v <= 0.99 for v in parsed.values())
