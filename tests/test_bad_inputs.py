"""The input contract (issue 11) on a generated corpus of bad inputs (``tests/bad_inputs.py``).

Every case ends in an :class:`~evalkit.core.errors.EvalkitError` naming the corrupted file
or YAML path, or — for a harmless corruption (rows reordered, an extra column, …) — in a run
with finite, complete totals. Never a traceback, never a run failing after validate passed,
never silently wrong results. The corpus runs once per session, in parallel; each test below
checks one side of the contract and lists every case that breaks it, with its outcome and
message. Nothing is marked xfail: the lists are the truth of the current code.

``python bench/bad_inputs_report.py`` prints the same outcomes as counts by class.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from bad_inputs import FILE_KEY, Case, City, Outcome, make_city, make_corpus, run_corpus

Corpus = tuple[City, list[Case], dict[str, Outcome]]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The clean city, the cases, and each case's outcome (run once, on every core)."""
    city = make_city(tmp_path_factory.mktemp("bad_inputs"))
    cases = make_corpus(city)
    outcomes = run_corpus(city, cases, workers=os.cpu_count())
    return city, cases, {o.case_id: o for o in outcomes}


def _broken(corpus: Corpus, test: Callable[[Case, Outcome], bool], what: str) -> None:
    """Fail listing every case for which ``test`` holds."""
    _, cases, outcomes = corpus
    bad = [(c, outcomes[c.id]) for c in cases if test(c, outcomes[c.id])]
    if bad:
        lines = [f"{len(bad)} of {len(cases)} cases {what}:"]
        lines += [f"  {c.id} [{o.outcome}] {c.description}\n      → {o.detail[:400]}"
                  for c, o in bad]
        pytest.fail("\n".join(lines), pytrace=False)


def test_corpus_covers_every_table_and_the_spec(corpus: Corpus) -> None:
    _, cases, outcomes = corpus
    assert len(cases) >= 1000
    assert len({c.id for c in cases}) == len(cases) == len(outcomes)
    targets = {c.target for c in cases}
    assert set(FILE_KEY) <= targets
    assert sum(c.id.startswith("spec:") for c in cases) >= 300
    assert {c.expect_ok for c in cases} == {True, False, None}


def test_the_clean_city_runs(corpus: Corpus) -> None:
    city, cases, outcomes = corpus
    assert city.baseline_errors == {}
    clean = [outcomes[c.id] for c in cases if c.id.startswith("clean/")]
    assert clean and all(o.outcome == "ok_finite" for o in clean), clean


def test_no_traceback(corpus: Corpus) -> None:
    _broken(corpus, lambda c, o: o.outcome == "traceback",
            "end in a Python traceback (an exception that is not an EvalkitError)")


def test_validate_ok_means_run_ok(corpus: Corpus) -> None:
    _broken(corpus, lambda c, o: o.outcome == "validate_ok_run_failed",
            "pass validate, then fail to run")


def test_nothing_silently_wrong(corpus: Corpus) -> None:
    _broken(corpus, lambda c, o: o.outcome == "silent_wrong",
            "run, but publish non-finite or absurd totals, lose a unit or a source, or change "
            "the totals of an input that means the same as the clean one")


def test_errors_name_the_file_or_yaml_path(corpus: Corpus) -> None:
    _broken(corpus, lambda c, o: o.outcome == "error_misplaced" and c.expect_ok is not True,
            "are rejected by an error that names neither the corrupted file nor the YAML path")


def test_bad_inputs_are_rejected(corpus: Corpus) -> None:
    _broken(corpus, lambda c, o: o.outcome == "ok_finite" and c.expect_ok is False,
            "should be rejected, but run (with plausible totals)")


def test_harmless_inputs_are_accepted(corpus: Corpus) -> None:
    _broken(corpus, lambda c, o: o.outcome in {"error_named", "error_misplaced"}
            and c.expect_ok is True,
            "are harmless (reordered rows, an extra column, a trailing space, …) but rejected")
