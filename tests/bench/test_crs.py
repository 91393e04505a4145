"""The conversational benchmark: replaying a context, scoring a ranked list, the data sets' catalogues and turns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.learning.replay import TurnReplayer, title_index
from assistant.learning.turns import ConversationTurn, read_turns
from assistant.understanding.linking import normalise
from bench.crs import ablation, evaluate, reachable_pools, score
from bench.crs_catalogue import (
    build_inspired_catalogue,
    build_opendialkg_catalogue,
    build_redial_catalogue,
    build_script,
    canonical_genre,
    development_mentions,
    genre_matches,
)
from bench.crs_turns import main as crs_turns_main
from bench.crs_turns import read_inspired_turns
from kg.catalogue import load_catalogue

ALIEN = "1214"
BLADE_RUNNER = "541"


def test_scores_count_the_position_of_the_recommended_movie() -> None:
    ranked = ["a", "b", "c"] + [f"x{i}" for i in range(60)]
    assert score(ranked, "a") == {"recall@1": 1.0, "recall@10": 1.0, "recall@50": 1.0, "ndcg@10": 1.0}
    third = score(ranked, "c")
    assert (third["recall@1"], third["recall@10"], third["ndcg@10"]) == (0.0, 1.0, 0.5)
    assert score(ranked, "x55") == {"recall@1": 0.0, "recall@10": 0.0, "recall@50": 0.0, "ndcg@10": 0.0}
    assert score(ranked, "missing")["recall@50"] == 0.0


def test_a_turns_file_without_rec_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "turns.jsonl"
    path.write_text(json.dumps({"dialog_id": "1", "context": ["hi"]}) + "\n")
    with pytest.raises(ValueError, match=r"turns\.jsonl:1: a turn needs 'rec'"):
        list(read_turns(path))


def test_replay_builds_the_profile_and_removes_everything_mentioned(fast_assistant: Assistant) -> None:
    turn = ConversationTurn(
        dialog_id="t",
        context=(
            "",
            "Hi, what kind of movies do you like?",
            "I loved Alien (1979), no comedies please",
            "Have you seen Blade Runner (1982)?",
            "Yes, I have seen that one",
        ),
        entities=("Alien (1979)", "Blade Runner (1982)"),
        rec=("Aliens (1986)",),
    )
    ranked, mentioned = TurnReplayer(fast_assistant.pipeline, depth=50).ranked(turn)
    assert {ALIEN, BLADE_RUNNER} <= mentioned
    assert len(ranked) == 50 and not mentioned & set(ranked)
    items = fast_assistant.catalogue.items
    assert all("Comedy" not in items[item_id].values("genres") for item_id in ranked)


def test_a_target_mentioned_earlier_is_counted_and_never_a_hit(fast_assistant: Assistant) -> None:
    turn = ConversationTurn(
        dialog_id="t",
        context=("I loved Alien (1979), what else?",),
        entities=("Alien (1979)",),
        rec=("Alien (1979)", "Aliens (1986)", "No Such Film (2031)"),
    )
    replayer = TurnReplayer(fast_assistant.pipeline, depth=50)
    weights = {"vector": 1.0, "mentions": 0.3, "popularity": 0.0}
    names = list(weights)
    figures, pools = evaluate(replayer, [turn], names)
    metrics = figures["metrics"]
    assert (metrics["pairs"], metrics["targets_mentioned_before"], metrics["targets_not_in_catalogue"]) == (3, 1, 1)
    assert metrics["out_of_catalogue"] == 0 and metrics["suggested"] == 50
    assert metrics["recall@50"] <= 1 / 3
    assert figures["metrics_reachable"]["recall@50"] == pytest.approx(metrics["recall@50"] * 3 / 2)
    assert len(figures["pair_ranks"]) == 3 and [mentioned for _, _, mentioned in figures["pair_ranks"]].count(True) == 1
    assert len(pools) == 1 and "Alien (1979)" not in pools[0].item_ids
    (reachable,) = reachable_pools(pools, [turn], replayer)
    assert len(reachable.targets) == 2
    rows = ablation([reachable], names, weights)
    assert set(rows) == {"all features", "without vector", "without mentions"}


def test_the_redial_catalogue_is_its_movie_universe(datasets_dir: Path, tmp_path: Path) -> None:
    report = build_redial_catalogue(datasets_dir, tmp_path / "redial")
    catalogue = load_catalogue(tmp_path / "redial")
    assert report["items"] == len(catalogue.items) == 6924
    assert report["joined_to_movielens"] > 3000 and report["joined_to_dbpedia_with_facts"] > 5000
    shining = next(item for item in catalogue.items.values() if item.display_title == "The Shining (1980)")
    assert "Horror" in shining.values("genres") and "Stanley Kubrick" in shining.values("directors")
    assert all(interaction.item_id in catalogue.items for interaction in catalogue.interactions[:1000])
    development = development_mentions(datasets_dir / "redial" / "valid_dialogues.jsonl")
    assert report["mentions_kept"] == sum(catalogue.mentions.values())
    assert report["mentions"] - development.total() <= report["mentions_kept"] < report["mentions"]
    assert catalogue.mentions[shining.id] > 10 and development[int(shining.id)] > 0
    assert report["joined_to_movielens_for_genres_only"] > 300
    black_panther = next(item for item in catalogue.items.values() if item.display_title == "Black Panther (2018)")
    assert "Action" in black_panther.values("genres")


def test_movies_the_strict_join_misses_get_genres_from_one_close_movielens_title() -> None:
    script = build_script()

    def movie(movie_id: int, title: str, year: int | None) -> object:
        return script.Movie(movie_id, title, year, [], script.movielens_title_keys(title))

    movielens = {
        m.movie_id: m
        for m in (
            movie(1, "Black Panther", 2017),
            movie(2, "Jumanji", 1995),
            movie(3, "Jumanji: Welcome to the Jungle", 2017),
            movie(4, "Thor", 2011),
            movie(5, "Titanic", 1953),
            movie(6, "Titanic", 1997),
            movie(7, "Notebook, The", 2004),
        )
    }
    redial = {
        m.movie_id: m
        for m in (
            movie(10, "Black Panther", 2018),
            movie(11, "Jumanji", 2017),
            movie(12, "Thor", None),
            movie(13, "Titanic", None),
            movie(14, "The Notebook", 2013),
            movie(15, "Jumanji", 1995),
        )
    }
    assert genre_matches(script, redial, movielens, joined={15}) == {10: 1, 11: 3, 12: 4}


def test_the_opendialkg_catalogue_is_its_knowledge_graphs_items(datasets_dir: Path, tmp_path: Path) -> None:
    report = build_opendialkg_catalogue(datasets_dir, tmp_path / "opendialkg")
    catalogue = load_catalogue(tmp_path / "opendialkg")
    assert report["items"] == len(catalogue.items) == 3672 and catalogue.interactions == ()
    space_jam = next(item for item in catalogue.items.values() if item.title == "Space Jam")
    assert space_jam.year == 1996 and "Michael Jordan" in space_jam.values("cast")
    assert report["training_mentions"] == sum(catalogue.mentions.values()) > 5000
    assert catalogue.mentions[space_jam.id] >= 1


def test_genre_names_of_the_knowledge_graph_are_made_canonical() -> None:
    assert [canonical_genre(name) for name in ("Action Film", "Science Fiction", "Family (Film genre) #395")] == [
        "Action",
        "Sci-Fi",
        "Children",
    ]


def utterance(role: str, text: str, *links: str) -> dict[str, object]:
    return {"role": role, "text": text, "movie_link": [f"<http://dbpedia.org/resource/{link}>" for link in links]}


def test_inspired_dialogues_are_cut_into_turns_with_alternating_speakers(tmp_path: Path) -> None:
    dialogue = [
        utterance("RECOMMENDER", "Try Alien", "Alien_(film)"),
        utterance("SEEKER", "Seen it."),
        utterance("SEEKER", "I want something funny"),
        utterance("RECOMMENDER", "Hi!"),
        utterance("RECOMMENDER", "How about Joker?", "Joker_(2019_film)", "Knives_Out"),
        utterance("SEEKER", "Loved Joker"),
        utterance("RECOMMENDER", "No movie here"),
    ]
    path = tmp_path / "valid_data_dbpedia.jsonl"
    path.write_text(json.dumps(dialogue) + "\n")
    first, second = read_inspired_turns(path)
    assert first == ConversationTurn("valid_data_dbpedia-1", ("",), (), ("Alien",))
    assert second.context == ("Try Alien", "Seen it. I want something funny")
    assert second.entities == ("Alien",) and second.rec == ("Joker (2019)", "Knives Out")
    converted = tmp_path / "turns.jsonl"
    crs_turns_main(["--inspired", str(path), "--out", str(converted)])
    assert list(read_turns(converted)) == [first, second]
    path.write_text('{"role": "SEEKER"}\n')
    with pytest.raises(ValueError, match=r"valid_data_dbpedia\.jsonl:1: an INSPIRED dialogue is a JSON list"):
        list(read_inspired_turns(path))


def test_the_inspired_catalogue_holds_its_linked_movies(datasets_dir: Path, tmp_path: Path) -> None:
    report = build_inspired_catalogue(datasets_dir, tmp_path / "inspired")
    catalogue = load_catalogue(tmp_path / "inspired")
    assert report["items"] == len(catalogue.items) > 1385 and report["joined_to_movielens"] > 700
    titles = {item.display_title: item for item in catalogue.items.values()}
    assert "Joker (2019)" in titles and "Avengers: Endgame (2019)" in titles
    assert catalogue.mentions[titles["Joker (2019)"].id] >= 50
    assert report["training_mentions"] == sum(catalogue.mentions.values())
    index = title_index(catalogue)
    turns = list(read_inspired_turns(datasets_dir / "inspired" / "valid_data_dbpedia.jsonl"))
    targets = [title for turn in turns for title in turn.rec]
    assert len(turns) == 246 and sum(normalise(title) in index for title in targets) >= len(targets) - 2
