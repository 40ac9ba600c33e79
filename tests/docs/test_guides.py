"""The commands in the guides run as written.

Conventions the guides follow (so that this test can run them):

* a fenced block tagged ``bash`` is run, in the order of the guide, with ``bash -euo pipefail`` in a scratch
  folder that links the repository's ``.venv``, ``scenarios``, ``experiments`` and ``calibration``; the commands
  therefore write their results into the scratch folder, never into the repository;
* a fenced block tagged ``toml`` whose first line is ``# file: NAME`` is saved as ``NAME`` in the scratch folder
  before the guide's commands run;
* an HTML comment ``<!-- expect: TEXT -->`` after a ``bash`` block names text its output must contain;
* blocks tagged ``text`` are not run (a server, a cluster, or a slow calibration); their ``hunan-sim`` commands are
  still parsed by the real command-line parser, so an option that does not exist fails the test.

The guides' commands use small sizes so that the whole file runs in about two minutes.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ("guide-researchers.md", "guide-analysts.md", "guide-teachers.md")
RUNNABLE = ("guide-researchers.md", "guide-analysts.md")
LINKED = (".venv", "scenarios", "experiments", "calibration")
#: Seconds one block may take before the test gives up on it.
BLOCK_TIMEOUT = 240

EXPECT = re.compile(r"^<!-- expect: (.*) -->$")


@dataclass
class Block:
    lang: str
    code: str
    expect: list[str] = field(default_factory=list)
    line: int = 0


def blocks(guide: str) -> list[Block]:
    """The fenced blocks of a guide, each with the ``<!-- expect: ... -->`` lines right after it."""
    lines = (ROOT / "docs" / guide).read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            lang, start = lines[i][3:].strip().split(" ")[0], i + 1
            j = start
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            if j == len(lines):
                raise AssertionError(f"docs/{guide}: fence at line {i + 1} is not closed")
            block = Block(lang=lang, code="\n".join(lines[start:j]) + "\n", line=i + 1)
            k = j + 1
            while k < len(lines) and EXPECT.match(lines[k].strip()):
                block.expect.append(EXPECT.match(lines[k].strip()).group(1))
                k += 1
            out.append(block)
            i = k
        else:
            i += 1
    return out


def toml_files(guide: str) -> dict[str, str]:
    files = {}
    for b in blocks(guide):
        first = b.code.splitlines()[0] if b.code.strip() else ""
        if b.lang == "toml" and first.startswith("# file: "):
            files[first.removeprefix("# file: ").strip()] = b.code
    return files


def hunan_sim_commands(code: str) -> list[list[str]]:
    """The argument lists of the ``hunan-sim`` commands in a block (continuation lines joined; comments dropped)."""
    code = code.replace("\\\n", " ")
    out = []
    for line in code.splitlines():
        line = line.split(" #")[0].strip()
        if "hunan-sim " not in line:
            continue
        words = shlex.split(line.split("||")[0].split("&&")[0].split(" &")[0])
        idx = next(i for i, w in enumerate(words) if w.endswith("hunan-sim"))
        out.append(words[idx + 1:])
    return out


# --------------------------------------------------------------------------------------------------------
# Static checks (fast)
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("guide", GUIDES)
def test_guide_exists_with_its_blocks_parsed(guide):
    found = blocks(guide)
    assert found, f"no fenced blocks found in docs/{guide}"
    text = (ROOT / "docs" / guide).read_text(encoding="utf-8")
    assert text.count("```") == 2 * len(found), f"an unclosed or odd fence in docs/{guide}"


@pytest.mark.parametrize("guide", RUNNABLE)
def test_runnable_guides_have_bash_blocks(guide):
    assert sum(b.lang == "bash" for b in blocks(guide)) >= 3


@pytest.mark.parametrize("guide", GUIDES)
def test_every_hunan_sim_command_parses_with_the_real_command_line(guide):
    """Also the commands of ``text`` blocks: an option that ``hunan-sim`` does not have fails here."""
    from sim.cli import build_parser

    parser = build_parser()
    checked = 0
    for b in blocks(guide):
        if b.lang not in ("bash", "text"):
            continue
        for args in hunan_sim_commands(b.code):
            try:
                parser.parse_args(args)
            except SystemExit as exc:
                pytest.fail(f"docs/{guide} line {b.line}: hunan-sim {' '.join(args)} is refused (exit {exc.code})")
            checked += 1
    if guide in RUNNABLE:
        assert checked > 0


@pytest.mark.parametrize("guide", RUNNABLE)
def test_toml_files_of_the_guide_are_named(guide):
    """Every TOML block that a bash block refers to is saved under a name (first line ``# file: NAME``)."""
    names = toml_files(guide)
    commands = "\n".join(b.code for b in blocks(guide) if b.lang == "bash")
    used = set(re.findall(r"([\w.-]+\.toml)", commands))
    shipped = {p.name for p in (ROOT / "experiments").glob("*.toml")} | {p.name for p in (ROOT / "scenarios").glob("*.toml")}
    missing = {u for u in used if u not in names and u not in shipped}
    assert missing == set(), f"docs/{guide} runs {sorted(missing)} but no block saves them"


def test_the_block_reader_sees_expectations_and_files():
    """The conventions are read as documented (a reader that sees nothing would make the run test vacuous)."""
    researcher = blocks("guide-researchers.md")
    assert any(b.expect for b in researcher if b.lang == "bash")
    assert "my-changsha-open.toml" in toml_files("guide-researchers.md")
    assert hunan_sim_commands(".venv/bin/hunan-sim run --scenario x.toml --end 2011 || echo no") == [
        ["run", "--scenario", "x.toml", "--end", "2011"]]


# --------------------------------------------------------------------------------------------------------
# Running the guides
# --------------------------------------------------------------------------------------------------------


def _scratch(tmp_path: Path, guide: str) -> Path:
    for name in LINKED:
        (tmp_path / name).symlink_to(ROOT / name)
    for name, content in toml_files(guide).items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("guide", RUNNABLE)
def test_guide_commands_run_as_written(guide, tmp_path):
    cwd = _scratch(tmp_path, guide)
    env = {**os.environ, "MPLBACKEND": "Agg", "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
           "PYTHONPATH": str(ROOT)}
    timings = []
    for b in blocks(guide):
        if b.lang != "bash":
            continue
        t0 = time.perf_counter()
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", b.code], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=BLOCK_TIMEOUT)
        timings.append((b.line, round(time.perf_counter() - t0, 1)))
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"docs/{guide} block at line {b.line} failed ({proc.returncode}):\n{output[-3000:]}"
        for text in b.expect:
            assert text in output, f"docs/{guide} block at line {b.line}: output lacks {text!r}:\n{output[-3000:]}"
    print(f"{guide}: seconds per block (line, s): {timings}")
