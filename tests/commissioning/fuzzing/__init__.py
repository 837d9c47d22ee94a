"""Fuzz machinery (issue 10, item 9): generated dataset folders, mutations of their files, every command.

Shared by the CI suite ``tests/commissioning/test_fuzz.py`` (a few hundred derandomised examples) and the
nightly-style ``benchmarks/fuzz.py`` (random examples for a set time). Modules:

* :mod:`.datasets`: the small base folders, and tables read and written as rows of cells;
* :mod:`.mutations`: :class:`~.mutations.Mutation`, a kind, a target file and plain arguments;
* :mod:`.scenario`: the scenario file of a fuzzed run (a dict, mutated, written as TOML);
* :mod:`.cases`: :class:`~.cases.Case`, one example (command, base, mutations, options);
* :mod:`.strategies`: the Hypothesis strategies that draw cases;
* :mod:`.commands`: calling the CLI in this process or as a subprocess;
* :mod:`.checks`: the properties, as :class:`~.checks.Finding` lists;
* :mod:`.execute`: :class:`~.execute.Fuzzer`, which runs a case in a folder of its own and checks it.
"""
