"""EmulatorConfig: defaults, the one strict boolean parser, environment, files and their precedence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator import EmulatorConfig
from emulator.config import SETTINGS, ConfigError, env_values, parse_bool

PROFILE = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6"


def test_defaults() -> None:
    config = EmulatorConfig()
    assert (config.host, config.port, config.workers) == ("127.0.0.1", 8000, 1)
    assert not config.strict_auth and not config.strict_content_type
    assert config.caption and config.response_cache_size > 0


BOOLEANS = [("1", True), ("TRUE", True), ("yes", True), ("On", True)]
BOOLEANS += [("0", False), ("false", False), ("No", False), ("off", False)]


@pytest.mark.parametrize(("text", "value"), BOOLEANS)
def test_parse_bool(text: str, value: bool) -> None:
    assert parse_bool(text) is value


@pytest.mark.parametrize("text", ["", "y", "2", "enabled", "truee"])
def test_parse_bool_rejects_everything_else(text: str) -> None:
    with pytest.raises(ValueError, match="not a boolean"):
        parse_bool(text)


def test_from_env_reads_only_the_prefix() -> None:
    environ = {
        "NOVA_EMULATOR_PORT": "9001",
        "NOVA_EMULATOR_STRICT_AUTH": "on",
        "NOVA_EMULATOR_ACCESS_KEYS": "AKID1=secret/1+x,AKID2=s2",
        "NOVA_EMULATOR_BEARER_TOKENS": "t1, t2",
        "NOVA_EMULATOR_MODEL_ALIASES": f"{PROFILE}=amazon.titan-image-generator-v2:0",
        "PORT": "1",
        "AWS_REGION": "us-east-1",
    }
    config = EmulatorConfig.from_env(environ)
    assert (config.port, config.strict_auth) == (9001, True)
    assert config.access_keys == {"AKID1": "secret/1+x", "AKID2": "s2"}
    assert config.bearer_tokens == frozenset({"t1", "t2"})
    assert config.model_aliases == {PROFILE: "amazon.titan-image-generator-v2:0"}


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("NOVA_EMULATOR_PORT", "eighty", "port"),
        ("NOVA_EMULATOR_PORT", "70000", "port"),
        ("NOVA_EMULATOR_WORKERS", "0", "workers"),
        ("NOVA_EMULATOR_CAPTION", "maybe", "caption"),
        ("NOVA_EMULATOR_MODEL_ALIASES", "x=amazon.nova-lite-v1:0", "not a served model"),
        ("NOVA_EMULATOR_ACCESS_KEYS", "no-equals-sign", "key=value"),
    ],
)
def test_bad_values_are_refused(name: str, value: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        EmulatorConfig.from_env({name: value})


def test_env_values_lowercases_after_the_prefix() -> None:
    assert env_values({"NOVA_EMULATOR_STRICT_AUTH": "1", "NOVA_EMULATOR_": "x"}) == {"strict_auth": "1"}


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_from_file(tmp_path: Path, suffix: str) -> None:
    settings = {"port": 8123, "strict_auth": True, "access_keys": {"AKID": "s"}, "bearer_tokens": ["t"],
                "model_aliases": {PROFILE: "amazon.nova-canvas-v1:0"}, "caption": False}  # fmt: skip
    path = tmp_path / f"emulator{suffix}"
    path.write_text(json.dumps(settings))  # JSON is valid YAML too
    config = EmulatorConfig.from_file(path)
    assert (config.port, config.strict_auth, config.caption) == (8123, True, False)
    assert (config.access_keys, config.bearer_tokens) == ({"AKID": "s"}, frozenset({"t"}))


def test_file_must_hold_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ValueError, match="mapping"):
        EmulatorConfig.from_file(path)


def test_precedence_file_then_environment_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "emulator.yaml"
    path.write_text("port: 1111\nworkers: 3\nhost: 0.0.0.0\n")
    environ = {"NOVA_EMULATOR_PORT": "2222", "NOVA_EMULATOR_HOST": "127.0.0.9"}
    config = EmulatorConfig.from_sources(file=path, environ=environ, overrides={"host": "::1", "port": None})
    assert (config.port, config.workers, config.host) == (2222, 3, "::1")


def test_unknown_keys_belong_to_the_test_double() -> None:
    """They are not silently dropped: the test double's config refuses what it does not know either."""
    with pytest.raises(ValueError):
        EmulatorConfig.from_env({"NOVA_EMULATOR_NO_SUCH_SETTING": "1"})


def test_config_is_frozen() -> None:
    with pytest.raises(AttributeError):
        EmulatorConfig().port = 1  # type: ignore[misc]


# --- one parser per value type: the same text means the same in every source ------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [('["a","b"]', ("a", "b")), ("a,b", ("a", "b")), (" a , b ", ("a", "b")), ('[" a", "b"]', (" a", "b"))],
)
def test_lists_take_json_and_comma_forms_alike(text: str, words: tuple[str, ...]) -> None:
    """Comma-separated items are stripped; JSON items are kept as written."""
    config = EmulatorConfig.from_env({"NOVA_EMULATOR_BLOCKED_WORDS": text})
    assert config.testdouble.filters.blocked_words == words
    config.testdouble.remove_owned_state()


def test_bearer_tokens_in_json_form() -> None:
    config = EmulatorConfig.from_env({"NOVA_EMULATOR_BEARER_TOKENS": '["a","b"]'})
    assert config.bearer_tokens == frozenset({"a", "b"})
    config.testdouble.remove_owned_state()


def test_mappings_take_json_and_pairs_forms_alike() -> None:
    pairs = EmulatorConfig.from_env({"NOVA_EMULATOR_ACCESS_KEYS": "AKID=s"})
    as_json = EmulatorConfig.from_env({"NOVA_EMULATOR_ACCESS_KEYS": '{"AKID": "s"}'})
    assert pairs.access_keys == as_json.access_keys == {"AKID": "s"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"workers": "two"}, "setting workers: not an integer: 'two'"),
        ({"port": True}, "setting port: not an integer: True"),
        ({"control_token": None}, "setting control_token: must be text, not null (quote it in YAML)"),
        ({"control_token": True}, "setting control_token: must be text, not a boolean (quote it in YAML)"),
        (
            {"control_token": "s3cret "},
            "setting control_token: has spaces around it, which no client would send",
        ),
        (
            {"bearer_tokens": ["a", " b"]},
            "setting bearer_tokens: has spaces around it, which no client would send",
        ),
        (
            {"strict_auth": None},
            "setting strict_auth: not a boolean: None (use true/false, 1/0, yes/no or on/off)",
        ),
        ({"blocked_words": '["a",'}, "setting blocked_words: invalid JSON: Expecting value at column 6"),
        ({"no_such_setting": 1}, "setting no_such_setting: unknown setting"),
    ],
)
def test_bad_values_name_the_setting(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        EmulatorConfig.from_mapping(values)
    assert str(caught.value) == message


def test_a_file_may_nest_sections(tmp_path: Path) -> None:
    path = tmp_path / "emulator.yaml"
    path.write_text(
        "testdouble:\n  seed: 3\nfilters:\n  blocked_words: [x]\n  output_block: {mode: all}\n"
        "state_path: ':memory:'\n"
    )
    config = EmulatorConfig.from_file(path)
    assert config.testdouble.seed == 3
    assert config.testdouble.filters.blocked_words == ("x",)
    assert config.testdouble.filters.output_block.mode == "all"


def test_memory_state_is_refused_with_two_workers() -> None:
    with pytest.raises(ConfigError, match="cannot be shared by 2 workers"):
        EmulatorConfig.from_mapping({"state_path": ":memory:", "workers": 2})


def test_every_setting_is_one_row_of_the_table() -> None:
    """The attribute each row fills exists on its object, with the row's default."""
    config = EmulatorConfig.from_mapping({"state_path": ":memory:"})
    for setting in SETTINGS:
        if setting.group == "server":
            assert getattr(config, setting.name) == setting.default, setting.name
        elif setting.group == "testdouble" and setting.name != "state_path":
            assert getattr(config.testdouble, setting.name) == setting.default, setting.name
