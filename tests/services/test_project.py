"""Stack files read as the Pulumi CLI reads them, and refused where YAML would change what is written."""
from __future__ import annotations

import json
import math
import resource
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from aisvc.config.settings import SettingsError, from_config
from aisvc.errors import InputError
from aisvc.services.cli_yaml import MAX_BYTES, MAX_DEPTH, MAX_VALUES, go_number
from aisvc.services.project import load_project, stack_config

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAD = "config:\n  ai-services:namePrefix: demo\n  azure-native:location: westeurope\n"


def project_with(tmp_path: Path, stack_text: str | bytes) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    path = tmp_path / "stacks" / "Pulumi.t.yaml"
    if isinstance(stack_text, bytes):
        path.write_bytes(stack_text)
    else:
        path.write_text(stack_text, encoding="utf-8")
    return tmp_path


def config_of(tmp_path: Path, stack_text: str | bytes) -> dict[str, str]:
    config, _secret_keys = stack_config(load_project(project_with(tmp_path, stack_text)), "t")
    return config


def refusal(tmp_path: Path, stack_text: str | bytes) -> str:
    with pytest.raises(InputError) as caught:
        config_of(tmp_path, stack_text)
    message = str(caught.value)
    assert "\n" not in message and str(tmp_path / "stacks" / "Pulumi.t.yaml") in message
    return message


def deployment(version: str, capacity: str = "1") -> str:
    return (HEAD + "  ai-services:deployments:\n    - name: chat\n      model:\n        format: OpenAI\n"
            f"        name: gpt-4o-mini\n        version: {version}\n      sku:\n        capacity: {capacity}\n")


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_the_shipped_stacks_read_and_validate(name: str) -> None:
    config, secret_keys = stack_config(load_project(REPO_ROOT), name)
    assert secret_keys == [] and from_config(config).name_prefix == f"aisvc-{name}"


# --------------------------------------------------------------------------- numbers as written


@pytest.mark.parametrize(("written", "reached"), [
    ("0613", 395), ("0o613", 395), ("1_000", 1000), ("0x1F", 31), ("0b101", 5), ("1.0", 1), ("1e3", 1000),
    ("+5", 5), ("08", 8), ("1.10", 1.1),
])
def test_a_number_yaml_would_change_is_refused_with_key_and_line(tmp_path: Path, written: str, reached: Any) -> None:
    message = refusal(tmp_path, deployment(written))
    assert f"line 9: ai-services:deployments[0].model.version: {written} reaches the program as the number {reached}" in message
    assert f"quote it ('{written}')" in message


def test_a_leading_zero_is_explained_as_octal(tmp_path: Path) -> None:
    assert "a leading 0 means octal to the Pulumi CLI" in refusal(tmp_path, deployment("0613"))
    assert "line 11: ai-services:deployments[0].sku.capacity: 010" in refusal(tmp_path / "c", deployment('"1"', capacity="010"))


def test_versions_and_numbers_as_written_reach_the_program_as_the_cli_hands_them(tmp_path: Path) -> None:
    config = config_of(tmp_path, deployment("2024-07-18", capacity="10"))  # an unquoted date stays text in go-yaml v3
    model = json.loads(config["ai-services:deployments"])[0]
    assert model["model"]["version"] == "2024-07-18" and model["sku"]["capacity"] == 10
    assert from_config(config).deployments[0].model_version == "2024-07-18"
    quoted = json.loads(config_of(tmp_path / "q", deployment("'0613'"))["ai-services:deployments"])[0]
    assert quoted["model"]["version"] == "0613"


def test_a_plain_number_version_reaches_the_settings_which_ask_to_quote_it(tmp_path: Path) -> None:
    config = config_of(tmp_path, deployment("1.5"))
    assert json.loads(config["ai-services:deployments"])[0]["model"]["version"] == 1.5  # as `pulumi up` gets it
    with pytest.raises(SettingsError, match=r"ai-services:deployments\[0\]\.model\.version = 1\.5 .*quote it"):
        from_config(config)


def test_top_level_scalars_reach_the_program_as_written(tmp_path: Path) -> None:
    config = config_of(tmp_path, HEAD + "  ai-services:customSubDomainName: 0613\n  ai-services:grantDeployer: True\n"
                                        "  ai-services:restore: ~\n  other:flag: yes\n")
    assert config["ai-services:customSubDomainName"] == "0613"  # Pulumi's config.Value takes the text
    assert config["ai-services:grantDeployer"] == "True" and config["ai-services:restore"] == "" and config["other:flag"] == "yes"


def test_nested_booleans_are_yaml_1_2(tmp_path: Path) -> None:
    config = config_of(tmp_path, HEAD + "  ai-services:tags:\n    on: yes\n    flag: true\n")
    assert json.loads(config["ai-services:tags"]) == {"on": "yes", "flag": True}


@pytest.mark.parametrize(("text", "number"), [
    ("0613", 395), ("-0o17", -15), ("0x_1f", 31), ("10", 10), ("1.5", 1.5), (".5", 0.5), ("1e3", 1000.0),
    ("08", 8.0), ("0", 0), ("-.inf", -math.inf), ("2024-07-18", None), ("1:30", None), ("0o8", None), ("abc", None),
    ("_1", None), ("", None), ("18446744073709551615", 2**64 - 1), ("18446744073709551616", 1.8446744073709552e19),
])
def test_go_number_follows_go_yaml_v3(text: str, number: Any) -> None:
    got = go_number(text)
    assert got == number and type(got) is type(number)


# --------------------------------------------------------------------------- YAML the CLI refuses or nobody needs


def test_duplicate_keys_are_refused_naming_the_key_and_both_lines(tmp_path: Path) -> None:
    message = refusal(tmp_path, HEAD + "  ai-services:kind: OpenAI\n  ai-services:kind: AIServices\n")
    assert "line 5: ai-services:kind: duplicate key (first at line 4)" in message
    nested = refusal(tmp_path / "n", HEAD + "  ai-services:keyVault:\n    sku: standard\n    sku: premium\n")
    assert "line 6: ai-services:keyVault.sku: duplicate key (first at line 5)" in nested


def test_a_misspelled_namespace_is_named_by_the_settings(tmp_path: Path) -> None:
    config = config_of(tmp_path, HEAD + "  aiservices:kind: OpenAI\n")
    with pytest.raises(SettingsError, match=r"aiservices:kind is not a known key \(did you mean ai-services:kind\?\)"):
        from_config(config)


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))  # 10^9 values
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    message = refusal(tmp_path, HEAD + "  ai-services:tags:\n" + "".join("    " + line + "\n" for line in bomb.splitlines()))
    assert time.monotonic() - started < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB: nothing expanded
    assert f"holds more than {MAX_VALUES} values once aliases are expanded" in message and ": ai-services:tags." in message


def test_an_alias_to_itself_is_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, HEAD + "  ai-services:tags: &loop\n    self: *loop\n")
    assert f"nested deeper than {MAX_DEPTH} levels (an alias to itself?)" in message


def test_aliases_within_the_budget_read_as_the_cli_reads_them(tmp_path: Path) -> None:
    text = HEAD + ("  ai-services:deployments:\n    - name: a\n      model: &m {format: OpenAI, name: gpt-4o-mini,"
                   " version: '2024-07-18'}\n    - name: b\n      model: *m\n")
    deployments = json.loads(config_of(tmp_path, text)["ai-services:deployments"])
    assert deployments[0]["model"] == deployments[1]["model"] == {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}


def test_merge_keys_and_custom_tags_are_refused(tmp_path: Path) -> None:
    assert "merge keys (<<) are not supported" in refusal(tmp_path, HEAD + "  ai-services:keyVault:\n    <<: {sku: premium}\n")
    tagged = refusal(tmp_path / "t", HEAD + "  ai-services:tags:\n    env: !!binary aGVsbG8=\n")
    assert "line 5: ai-services:tags.env: the YAML tag tag:yaml.org,2002:binary is not supported" in tagged


def test_huge_and_deep_documents_are_refused_quickly(tmp_path: Path) -> None:
    started = time.monotonic()
    huge = refusal(tmp_path, HEAD + "  ai-services:tags:\n" + "    k: v\n" * (MAX_BYTES // 8))
    assert f"is larger than {MAX_BYTES // 1024} KiB" in huge
    deep = refusal(tmp_path / "d", HEAD + "  ai-services:tags: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert f"line 4 is not valid YAML: nested deeper than {MAX_DEPTH} levels" in deep
    assert time.monotonic() - started < 2.0


def test_text_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, (HEAD + "  ai-services:kind: OpenAI\n").encode("utf-16"))
    assert "not UTF-8" in message


def test_a_config_that_is_not_a_map_is_refused(tmp_path: Path) -> None:
    assert "expected a map with a 'config' map" in refusal(tmp_path, "config: [a, b]\n")
    assert config_of(tmp_path / "e", "config:\n") == {}
