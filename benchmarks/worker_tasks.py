"""The task graphs that :mod:`benchmarks.worker` builds, defined when a scenario asks for them:
the leaf, fan-in, chain and five-parameter tasks as ``TaskOnKart`` classes of gokart-core or
gokart, or as bare luigi tasks writing the same pickles (the floor); :func:`build`, one build
with a local scheduler; and what every worker uses to get there (:func:`package`, the package
under test, and :func:`configure`, the luigi config of the process). The standard library only
at the top: gokart-core, gokart and luigi are imported inside the functions (see
:mod:`benchmarks.worker`)."""

from __future__ import annotations

import logging
from typing import Any


def package(impl: str) -> Any:
    """The package under test: gokart-core or gokart, under the one name the tasks use."""
    if impl == "core":
        import gokart_core as kart
    elif impl == "gokart":
        import gokart as kart
    else:
        raise ValueError(f"no TaskOnKart in implementation {impl!r}")
    return kart


def build(impl: str, root: Any) -> Any:
    """Build ``root`` with a local scheduler and one worker; return its output."""
    if impl == "luigi":
        import luigi

        ok = luigi.build([root], local_scheduler=True, log_level="ERROR")
        if not ok:
            raise RuntimeError(f"luigi.build({root}) failed")
        return root.load_result()
    return package(impl).build(root, reset_register=False, log_level=logging.ERROR)


def tasks(impl: str) -> dict[str, type]:
    """``leaf``, ``fanin``, ``chain`` and ``params`` of the implementation ``impl``."""
    return define_luigi_tasks() if impl == "luigi" else define_kart_tasks(package(impl))


def configure(*settings: tuple[str, str, str]) -> None:
    """Set each (section, option, value) in this process's luigi config, adding the section
    where it is missing."""
    import luigi.configuration

    config = luigi.configuration.get_config()
    for section, key, value in settings:
        if not config.has_section(section):
            config.add_section(section)
        config.set(section, key, value)


def define_kart_tasks(kart: Any) -> dict[str, type]:
    """The benchmark graphs as ``TaskOnKart`` classes of ``kart`` (gokart or gokart-core)."""
    import luigi

    class BenchLeaf(kart.TaskOnKart):  # type: ignore[misc, name-defined]
        i = luigi.IntParameter()

        def output(self) -> Any:
            return self.make_target("fanin/leaf.pkl")

        def run(self) -> None:
            self.dump(self.i)

    class BenchFanIn(kart.TaskOnKart):  # type: ignore[misc, name-defined]
        n = luigi.IntParameter()

        def requires(self) -> Any:
            return [BenchLeaf(i=i) for i in range(self.n)]

        def output(self) -> Any:
            return self.make_target("fanin/root.pkl")

        def run(self) -> None:
            self.dump(sum(self.load()))

    class BenchChain(kart.TaskOnKart):  # type: ignore[misc, name-defined]
        n = luigi.IntParameter()

        def requires(self) -> Any:
            return BenchChain(n=self.n - 1) if self.n > 0 else []

        def output(self) -> Any:
            return self.make_target("chain/chain.pkl")

        def run(self) -> None:
            self.dump((self.load() if self.n > 0 else 0) + 1)

    class BenchParams(kart.TaskOnKart):  # type: ignore[misc, name-defined]
        a = luigi.IntParameter()
        b = luigi.Parameter()
        c = luigi.FloatParameter()
        d = luigi.BoolParameter()
        e = luigi.DateParameter()

    return {"leaf": BenchLeaf, "fanin": BenchFanIn, "chain": BenchChain, "params": BenchParams}


def define_luigi_tasks() -> dict[str, type]:
    """The same graphs as bare luigi tasks writing the same pickles: the floor."""
    import pickle

    import luigi
    import luigi.format

    class _Pickled(luigi.Task):
        def output(self) -> Any:
            return luigi.LocalTarget(self.path, format=luigi.format.Nop)

        def dump(self, obj: Any) -> None:
            with self.output().open("w") as fp:
                pickle.dump(obj, fp, protocol=5)

        def load_result(self) -> Any:
            with self.output().open("r") as fp:
                return pickle.load(fp)

    class BareLeaf(_Pickled):
        i = luigi.IntParameter()

        @property
        def path(self) -> str:
            return f"resources/fanin/leaf_{self.i}.pkl"

        def run(self) -> None:
            self.dump(self.i)

    class BareFanIn(_Pickled):
        n = luigi.IntParameter()
        path = "resources/fanin/root.pkl"

        def requires(self) -> Any:
            return [BareLeaf(i=i) for i in range(self.n)]

        def run(self) -> None:
            self.dump(sum(t.load_result() for t in self.requires()))

    class BareChain(_Pickled):
        n = luigi.IntParameter()

        @property
        def path(self) -> str:
            return f"resources/chain/chain_{self.n}.pkl"

        def requires(self) -> Any:
            return BareChain(n=self.n - 1) if self.n > 0 else []

        def run(self) -> None:
            self.dump((self.requires().load_result() if self.n > 0 else 0) + 1)

    class BareParams(luigi.Task):
        a = luigi.IntParameter()
        b = luigi.Parameter()
        c = luigi.FloatParameter()
        d = luigi.BoolParameter()
        e = luigi.DateParameter()

        def make_unique_id(self) -> str:
            return str(self.task_id)  # luigi's own hash of the parameters, made at creation

    return {"leaf": BareLeaf, "fanin": BareFanIn, "chain": BareChain, "params": BareParams}
