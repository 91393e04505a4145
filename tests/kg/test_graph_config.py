"""Fast tier: the typed graph configuration, and the one place the assistant's settings become it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from assistant.settings import Settings
from kg.graph.config import GraphConfig

pytestmark = pytest.mark.fast


def test_settings_name_the_embedded_server_by_default(tmp_path: Path) -> None:
    config = Settings(data_dir=tmp_path, graph_timeout_s=2.5, arcadedb_heap_mb=512).graph_config()
    assert config.uri is None and config.embedded_dir == tmp_path / "graph"
    assert (config.timeout_s, config.heap_mb) == (2.5, 512)


def test_settings_name_a_neo4j_server_and_keep_its_password_out_of_repr(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, neo4j_uri="bolt://db:7687", neo4j_password=SecretStr("s3cret"), neo4j_database="films"
    )
    config = settings.graph_config()
    assert (config.uri, config.user, config.password, config.database) == ("bolt://db:7687", "neo4j", "s3cret", "films")
    assert "s3cret" not in repr(config)


def test_a_config_names_a_server_and_bounds_its_calls() -> None:
    with pytest.raises(ValueError, match="uri or an embedded_dir"):
        GraphConfig()
    with pytest.raises(ValueError, match="positive"):
        GraphConfig(uri="bolt://db:7687", timeout_s=0)
