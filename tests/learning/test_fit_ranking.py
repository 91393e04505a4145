"""``concierge fit-ranking`` on the fast tier: fitted on replayed turns, held-out figures, weights saved and used."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.learning.fit_ranking import CURVE_FEATURES, fit_ranking, turn_pools
from assistant.learning.replay import TurnReplayer
from assistant.learning.turns import ConversationTurn
from retrieval.curves import RankingCurves
from retrieval.fusion import load_fusion_weights, rank_metrics
from retrieval.ranking import CurvesRanker
from ui.cli import main

pytestmark = pytest.mark.fast


SEEN_AND_SUGGESTED = [
    ("The Matrix (1999)", "Blade Runner (1982)"),
    ("Alien (1979)", "Aliens (1986)"),
    ("Heat (1995)", "Pulp Fiction (1994)"),
    ("Toy Story (1995)", "Finding Nemo (2003)"),
]


def turns(assistant: Assistant) -> list[ConversationTurn]:
    """Four small dialogues: a seeker names a film they loved, and the recommender names another."""
    titles = {item.display_title for item in assistant.catalogue.items.values()}
    assert {title for pair in SEEN_AND_SUGGESTED for title in pair} <= titles
    return [
        ConversationTurn(str(number), (f"I loved {seen}",), (), (suggested,))
        for number, (seen, suggested) in enumerate(SEEN_AND_SUGGESTED)
    ]


def test_pools_hold_the_allowed_candidates_without_the_mentioned_items(
    scripted_assistant: Callable[..., Assistant],
) -> None:
    assistant = scripted_assistant()
    replayer = TurnReplayer(assistant.pipeline, depth=50)
    examples = turns(assistant)
    pools = turn_pools(replayer, examples, ["vector", "popularity"])
    for turn, pool in zip(examples, pools, strict=True):
        _, _, mentioned = replayer.replay(turn)
        assert mentioned and not mentioned & set(pool.item_ids) and pool.group == turn.dialog_id


def test_fitted_weights_are_saved_and_rank_the_next_assistant(
    scripted_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    assistant = scripted_assistant()
    path = tmp_path / "fusion.json"
    report = fit_ranking(TurnReplayer(assistant.pipeline, depth=50), turns(assistant), 2, "four turns", path)
    assert report["cross_validated"]["folds"] == 2 and report["cross_validated"]["pairs"] == 4
    assert load_fusion_weights(path) == report["weights"]
    assert json.loads(path.read_text())["fitted_on"] == {"turns_file": "four turns", "turns": 4, "folds": 2}
    fitted = scripted_assistant(settings=assistant.settings.model_copy(update={"data_dir": tmp_path}))
    assert fitted.pipeline.rank.ranker.feature_names == tuple(report["weights"])


def test_the_command_rejects_bad_input_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    assert main(["fit-ranking", "--turns", str(tmp_path / "absent.jsonl")]) == 2
    assert main(["fit-ranking", "--turns", str(tmp_path / "empty.jsonl")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors == [
        f"concierge: error: {tmp_path / 'absent.jsonl'}: no such turns file",
        f"concierge: error: {tmp_path / 'empty.jsonl'} holds no turns",
    ]


def test_fitted_curves_are_saved_and_rank_the_next_assistant_with_moods_kept(
    scripted_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    assistant = scripted_assistant()
    path = assistant.settings.model_copy(update={"data_dir": tmp_path}).curves_path
    replayer = TurnReplayer(assistant.pipeline, depth=50)
    report = fit_ranking(replayer, turns(assistant) * 3, 2, "four turns", path, model="curves")
    assert report["cross_validated"]["folds"] == 2 and report["saved_to"] == str(path)
    assert set(report["spans"]) == set(CURVE_FEATURES) and "mood" not in CURVE_FEATURES
    assert json.loads(path.read_text())["fitted_on"]["turns"] == 12
    fitted = scripted_assistant(settings=assistant.settings.model_copy(update={"data_dir": tmp_path}))
    ranker = fitted.pipeline.rank.ranker
    assert isinstance(ranker, CurvesRanker) and ranker.feature_names == (*CURVE_FEATURES, "mood")
    again = fit_ranking(TurnReplayer(fitted.pipeline, depth=50), turns(fitted), 2, "four turns", path, "curves")
    assert RankingCurves.load(path) is not None
    assert again["as_configured"] == pytest.approx(ranked_by_the_assistant(fitted))


def ranked_by_the_assistant(assistant: Assistant) -> dict[str, float]:
    """The in-use figures recomputed by ranking each turn through the assistant's own rank stage."""
    replayer = TurnReplayer(assistant.pipeline, depth=50)
    totals: dict[str, float] = {}
    pairs = 0
    for turn in turns(assistant):
        ranked, _ = replayer.ranked(turn)
        for target in replayer.targets(turn):
            pairs += 1
            for name, value in rank_metrics(ranked.index(target) + 1 if target in ranked else None).items():
                totals[name] = totals.get(name, 0.0) + value
    return {name: total / pairs for name, total in totals.items()}
