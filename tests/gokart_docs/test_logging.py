"""gokart docs, *Logging* (logging.rst).

Covered: ``base.ini`` with ``[core] logging_conf_file=./conf/logging.ini``, read by
``gokart.add_config('base.ini')`` before ``gokart.run()``; the page's logging.ini (loggers
root, luigi, luigi-interface, gokart, gokart.file_processor; one handler to stdout; the
``[%(asctime)s][%(name)s][%(levelname)s](%(filename)s:%(lineno)s) %(message)s`` format): a run
logs luigi's and the task's records through it, on stdout, in that format.
Not covered: gokart's own logger names (``gokart``, ``gokart.file_processor``) name gokart's
modules; gokart-core logs under ``gokart_core.*``, which the page's config sends to the root
logger (same handler and format).
"""

from __future__ import annotations

import re
from pathlib import Path

from . import run_script

LOGGING_INI = """\
[loggers]
keys=root,luigi,luigi-interface,gokart,gokart.file_processor

[handlers]
keys=stderrHandler

[formatters]
keys=simpleFormatter

[logger_root]
level=INFO
handlers=stderrHandler

[logger_gokart]
level=INFO
handlers=stderrHandler
qualname=gokart
propagate=0

[logger_luigi]
level=INFO
handlers=stderrHandler
qualname=luigi
propagate=0

[logger_luigi-interface]
level=INFO
handlers=stderrHandler
qualname=luigi-interface
propagate=0

[logger_gokart.file_processor]
level=CRITICAL
handlers=stderrHandler
qualname=gokart.file_processor

[handler_stderrHandler]
class=StreamHandler
formatter=simpleFormatter
args=(sys.stdout,)

[formatter_simpleFormatter]
format=[%(asctime)s][%(name)s][%(levelname)s](%(filename)s:%(lineno)s) %(message)s
datefmt=%Y/%m/%d %H:%M:%S
"""

MAIN = """\
from logging import getLogger

import gokart_core as gokart

logger = getLogger(__name__)


class LoggedTask(gokart.TaskOnKart[str]):
    def run(self):
        logger.info('a record of the task')
        self.dump('done')


if __name__ == '__main__':
    gokart.add_config('base.ini')
    gokart.run()
"""

LINE = re.compile(
    r"^\[\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\]\[(?P<name>[^\]]+)\]\[(?P<level>[A-Z]+)\]"
    r"\((?P<file>[^:]+):\d+\) (?P<message>.*)$"
)


def test_the_logging_conf_file_of_base_ini_formats_the_run(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "logging.ini").write_text(LOGGING_INI)
    (tmp_path / "base.ini").write_text("[core]\nlogging_conf_file=./conf/logging.ini\n")
    done = run_script(tmp_path, MAIN, "LoggedTask", "--local-scheduler")
    assert done.returncode == 0, done.stderr[-3000:]
    records = [m for m in map(LINE.match, done.stdout.splitlines()) if m]
    assert records, done.stdout[-3000:]
    names = {m["name"] for m in records}
    assert "luigi-interface" in names
    mine = [m for m in records if m["message"] == "a record of the task"]
    assert [(m["name"], m["level"], m["file"]) for m in mine] == [("__main__", "INFO", "main.py")]
    # INFO and above only (the page's levels), nothing of it on stderr
    assert {m["level"] for m in records} <= {"INFO", "WARNING", "ERROR", "CRITICAL"}
    assert "a record of the task" not in done.stderr
    assert list((tmp_path / "resources" / "__main__").glob("LoggedTask_*.pkl"))
