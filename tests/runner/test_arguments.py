"""The maintenance commands' shared options: ``--storage-options`` takes a JSON object and a
bad one is a usage error naming the option, without the value (it may hold a secret)."""

from __future__ import annotations

import pytest

from gokart_core.runner import maintenance


@pytest.mark.parametrize("command", ["clean", "report"])
@pytest.mark.parametrize(
    ("given", "said"),
    [
        ('{secret: "s3cr3t"}', "not JSON"),
        ('["s3cr3t"]', "a JSON object is needed"),
        ("3", "not int"),
    ],
)
def test_a_bad_storage_options_value_is_a_usage_error_naming_the_option(
    command: str, given: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        maintenance.main([command, "--storage-options", given, "somewhere"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--storage-options" in err and said in err, err
    assert "s3cr3t" not in err, err


@pytest.mark.parametrize("command", ["clean", "report"])
def test_storage_options_are_parsed_into_a_dict(command: str) -> None:
    args = maintenance.parser().parse_args(
        [command, "--storage-options", '{"anon": true, "client_kwargs": {}}', "somewhere"]
    )
    assert args.storage_options == {"anon": True, "client_kwargs": {}}
    assert maintenance.parser().parse_args([command, "somewhere"]).storage_options == {}
