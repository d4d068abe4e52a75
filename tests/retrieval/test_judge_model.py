"""The judge's last step with the real local model (slow), and the P(yes) arithmetic (unit)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grounded.retrieval.judge import Judge, JudgeMethod, JudgeThresholds
from grounded.retrieval.judge_model import ModelJudge, p_yes_from_logprobs

EVIDENCE = ["The owner produces the list of defects within 14 days of the inspection."]


@pytest.mark.unit
def test_p_yes_from_first_token_logprobs():
    assert p_yes_from_logprobs([("yes", -0.1), ("Yes", -3.0), ("no", -2.5)]) == pytest.approx(
        (0.904837 + 0.049787) / (0.904837 + 0.049787 + 0.082085), rel=1e-4)
    assert p_yes_from_logprobs([("maybe", -0.1)]) is None


@pytest.mark.unit
def test_model_is_asked_only_in_the_uncertain_band_and_within_the_deadline():
    class Recorder:
        calls: list[str] = []

        def p_yes(self, claim, evidence, timeout_s):
            self.calls.append(claim)
            return 0.9

        def close(self):
            pass

    model = Recorder()
    judge = Judge(JudgeThresholds(supported=0.9, uncertain_low=0.5, uncertain_high=0.9), model=model)
    assert judge.judge("The owner produces the list within 14 days.", EVIDENCE).method is JudgeMethod.CHEAP
    swapped = judge.judge("The contractor produces the list within 14 days.", EVIDENCE)
    assert swapped.method is JudgeMethod.MODEL and swapped.supported and swapped.score == 0.9
    assert judge.judge("The contractor produces the list within 14 days.", EVIDENCE, deadline=0.0).method \
        is JudgeMethod.CHEAP, "past the deadline the cheap verdict stands"
    assert not judge.judge("The owner produces the list within 15 days.", EVIDENCE).supported, "a vetoed number"
    assert model.calls == ["The contractor produces the list within 14 days."]


@pytest.mark.slow
def test_local_model_prefers_the_supported_claim(tmp_path_factory):
    home = os.environ.get("GROUNDED_HOME")  # reuse an assembled model, as the other slow tests do
    with ModelJudge(models_dir=Path(home) / "models" if home else tmp_path_factory.mktemp("models")) as model:
        good = model.p_yes("The owner produces the list of defects within 14 days.", EVIDENCE, timeout_s=600)
        bad = model.p_yes("The contractor produces the list of defects within 14 days.", EVIDENCE, timeout_s=600)
    assert good is not None and bad is not None and good > bad


@pytest.mark.slow
def test_local_model_answers_a_question_about_one_detail(tmp_path_factory):
    """`question` asks about one detail of the claim (bench/wice.py --probe span): the detail the evidence states
    gets a higher P(yes) than the one it does not."""
    home = os.environ.get("GROUNDED_HOME")
    claim = "The owner produces the list of defects within 14 days of the inspection, by registered mail."
    with ModelJudge(models_dir=Path(home) / "models" if home else tmp_path_factory.mktemp("models")) as model:
        stated = model.p_yes(claim, EVIDENCE, timeout_s=600,
                             question='Does the evidence state "within 14 days" as the claim uses it?')
        absent = model.p_yes(claim, EVIDENCE, timeout_s=600,
                             question='Does the evidence state "by registered mail" as the claim uses it?')
    assert stated is not None and absent is not None and stated > absent
