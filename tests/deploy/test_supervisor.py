"""supervisord's configuration of the stack: every server restarted alone, each with only its own environment."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

from deploy.programs import programs
from deploy.supervisor import Program, render
from deploy.topology import Ports, Stack


def _parsed(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


def test_each_program_restarts_on_its_own_and_stops_with_its_children(tmp_path: Path) -> None:
    # given two programs, one with a value supervisord would expand and one with spaces in an argument
    rendered = render(
        [
            Program("db", ["postgres", "-D", "/data dir"], stop_signal="INT", priority=100),
            Program("api", ["serve", "--port", "80%"], {"TOKEN": 'se"cr%et'}),
        ],
        tmp_path,
        tmp_path,
    )
    config = _parsed(rendered)
    # then each restarts when it exits, stops as a group, and logs to its own file under the folder
    for name in ("db", "api"):
        section = config[f"program:{name}"]
        assert section["autorestart"] == "true"
        assert section["stopasgroup"] == section["killasgroup"] == "true"
        assert section["stdout_logfile"] == str(tmp_path / "logs" / f"{name}.log")
    # and the database stops last (it starts first), with its own signal
    assert int(config["program:db"]["priority"]) < int(config["program:api"]["priority"])
    assert config["program:db"]["stopsignal"] == "INT"
    # and arguments survive supervisord's splitting and its `%` expansion
    assert shlex.split(config["program:db"]["command"]) == ["postgres", "-D", "/data dir"]
    assert config["program:api"]["command"] == "serve --port 80%%"
    assert config["program:api"]["environment"] == 'TOKEN="se\\"cr%%et"'
    assert "environment" not in config["program:db"]
    # and the control socket is its owner's only
    assert config["unix_http_server"]["chmod"] == "0700"


def test_only_the_service_gets_the_tokens(tmp_path: Path) -> None:
    # given a stack with its tokens made
    stack = Stack(tmp_path, Ports(*range(40001, 40009)))
    tokens = stack.tokens()
    # when its programs are listed
    found = {program.name: program for program in programs(stack, tmp_path / "pgdata")}
    # then the service holds every token, and no other program any, in its environment or its command
    assert tokens.items() <= dict(found["service"].environment).items()
    for name, program in found.items():
        if name == "service":
            continue
        carried = " ".join(program.command) + " ".join(f"{k}={v}" for k, v in program.environment.items())
        assert not any(secret in carried for secret in tokens.values()), name
    # and the worker (so every flow run) gets the clients' addresses, the database URL among them
    assert found["worker"].environment["MLOPS_PREDICTION_STORE_URL"] == stack.database("predictions")
