"""Aliased predictors: exact and near copies, product identities on the log scale, R's order rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from viewcast.followers.aliasing import find_aliases
from viewcast.followers.reading import alias_note


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _columns(frame: pd.DataFrame) -> dict[str, str]:
    return {c: c for c in frame.columns}


def test_independent_terms_are_all_kept(rng):
    terms = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    kept, aliases = find_aliases(terms, 20.0, _columns(terms), set(), {})
    assert kept == list("abcd") and aliases == []


def test_an_exact_linear_copy_drops_the_later_term(rng):
    x = rng.normal(size=300)
    terms = pd.DataFrame({"views": x, "other": rng.normal(size=300), "copy": 3 * x + 2})
    kept, (alias,) = find_aliases(terms, 20.0, _columns(terms), set(), {})
    assert kept == ["views", "other"]
    assert alias.term == "copy" and alias.partners == ["views"] and alias.exact and alias.vif == np.inf
    assert alias.to_dict()["vif"] is None
    # R's rule: the order decides, not the name
    swapped = terms[["copy", "other", "views"]]
    kept, (alias,) = find_aliases(swapped, 20.0, _columns(swapped), set(), {})
    assert kept == ["copy", "other"] and alias.term == "views"


def test_a_sum_of_two_terms_is_an_alias_of_both(rng):
    a, b = rng.normal(size=300), rng.normal(size=300)
    terms = pd.DataFrame({"a": a, "b": b, "c": rng.normal(size=300), "total": a + b})
    kept, (alias,) = find_aliases(terms, 20.0, _columns(terms), set(), {})
    assert alias.term == "total" and set(alias.partners) == {"a", "b"} and set(alias.kept) == {"a", "b"}
    assert kept == ["a", "b", "c"]
    note = alias_note(alias, 20.0)
    assert note.startswith("Aliased: total is exactly a linear combination of ") and "a" in note and "b" in note


def test_the_limit_separates_near_aliases_from_ordinary_correlation(rng):
    x = rng.normal(size=2000)
    near = x + rng.normal(scale=0.1, size=2000)  # R² ≈ 0.99, VIF ≈ 100
    loose = x + rng.normal(scale=0.4, size=2000)  # R² ≈ 0.86, VIF ≈ 7
    terms = pd.DataFrame({"x": x, "near": near})
    _, (alias,) = find_aliases(terms, 20.0, _columns(terms), set(), {})
    assert alias.term == "near" and not alias.exact and 70 < alias.vif < 140
    assert "nearly (R² = 0.99" in alias_note(alias, 20.0)
    terms = pd.DataFrame({"x": x, "loose": loose})
    assert find_aliases(terms, 20.0, _columns(terms), set(), {})[1] == []
    assert [a.term for a in find_aliases(terms, 5.0, _columns(terms), set(), {})[1]] == ["loose"]


def test_a_product_is_an_alias_on_the_log_scale_through_the_probes(rng):
    views = np.exp(rng.normal(8, 0.6, 400))
    watch = np.exp(rng.normal(2.5, 1.0, 400))  # modelled raw: seconds, skewed
    play = views * watch * np.exp(rng.normal(0, 0.05, 400))
    terms = pd.DataFrame({"views": np.log1p(views), "watch": watch, "play": np.log1p(play)})
    logged = {"views", "play"}
    # without probes, the raw watch time hides the identity
    assert find_aliases(terms, 20.0, _columns(terms), logged, {})[1] == []
    kept, (alias,) = find_aliases(terms, 20.0, _columns(terms), logged, {"watch": np.log(terms["watch"])})
    assert kept == ["views", "watch"] and alias.term == "play" and alias.via_log
    assert set(alias.partners) == {"views", "watch"}
    assert "a product or ratio of" in alias_note(alias, 20.0)


def test_partners_are_named_by_column_for_dummies(rng):
    level = rng.integers(0, 2, 300).astype(float)
    terms = pd.DataFrame({"length": rng.normal(size=300), "subject_cloud": level, "cloudy": level})
    columns = {"length": "length", "subject_cloud": "subject", "cloudy": "cloudy"}
    _, (alias,) = find_aliases(terms, 20.0, columns, set(), {})
    assert alias.term == "cloudy" and alias.partners == ["subject"]
