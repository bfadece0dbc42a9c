"""The draws the generator is built from."""
from __future__ import annotations

import numpy as np

from app.population.sampling import birthday, probabilities


def test_birthdays_keep_the_day_across_leap_years_and_29_february_falls_on_1_march() -> None:
    born = np.array(["2004-05-24", "2004-02-29", "1999-12-31", "2000-01-01"],
                    dtype="datetime64[D]")
    assert birthday(born, 18).astype(str).tolist() == [
        "2022-05-24", "2022-03-01", "2017-12-31", "2018-01-01"]


def test_probabilities_follow_the_weights_and_add_up_to_the_expected_count() -> None:
    weights = np.array([0.0, 1.0, 2.0, 4.0] * 250)
    p = probabilities(weights, 200.0)
    assert abs(p.sum() - 200.0) < 1e-6
    assert p[0] == 0.0 and p[3] == 2 * p[2] == 4 * p[1]


def test_probabilities_are_capped_at_one_and_the_rest_take_up_the_difference() -> None:
    weights = np.array([100.0] + [1.0] * 99)
    p = probabilities(weights, 50.0)
    assert p[0] == 1.0
    assert abs(p.sum() - 50.0) < 0.1
