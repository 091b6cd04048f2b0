"""Fuzz the readers of user files with mutated inputs: each must return values or raise a ConfigError naming the file.

Every try takes a small valid file for one reader (built below), mutates it (byte flips, cuts,
inserted and deleted bytes, duplicated and spliced lines, hostile tokens: brackets, quotes, NUL,
BOM, CRLF, invalid UTF-8, escaped lone surrogates, ``1e999``, integers of 5,000 digits, nesting
5,000 deep, lines of a MiB, YAML tags and anchors; a JSON value swapped for another type; or
nothing but random bytes), writes it to a fresh folder under the reader's suffix and reads it.
A ConfigError whose message names the file is the expected failure; any other exception, or a
ConfigError that does not name the file, is a bug. Each distinct bug (reader, exception type,
raising frame) is printed once with its first input, which ``--save`` keeps. The readers:

    endpoints       gem_env.llm.pool.read_endpoints (a file of URLs)
    config          trainers.config.load_config_file (GemSFTConfig, .json / .yaml)
    corpus          synth.corpus.read_corpus (.jsonl / .json / .txt / .md)
    corpus-folder   the same on a folder holding the file and a valid one
    bfcl-results    gem_env.bfcl.results.read_result_file, then ResultReplayAgent plays each result
    sft-corpus      trainers.data.load_corpus (.jsonl / JSON array)
    synth-corpus    trainers.synthesizer.synthesizer_rows, the corpus file mutated
    synth-texts     the same, the texts file mutated
    prompt          gem_env.prompts.load_prompt on an override folder, then filled
    chat-template   trainers.templates.known_template (a .jinja file)
    rollout-resume  gem_env.rollout.rollout(..., output=..., resume=True) over a damaged output file
    domain-json     tools_registry.domains.load_domain on photo-framing with its domain.json mutated, then one
                    oracle episode (a DomainError or ToolDefinitionError is a ConfigError and counts as one)
    domain-tasks    the same, its tasks.jsonl mutated (tools.py is code, trusted by design: never mutated)
    score-rows      gem_env.score.read_rows then score_rows on photo-framing, as ``gem score`` reads its file
    synth-store     synth.store.finished_ids (what ``gem synth run --resume`` reads) on an output folder
                    whose corpus/ shard is mutated

Prints per reader the tries, outcomes, tries per second and the slowest try; exits 1 on any bug.

    python benchmarks/fuzz_input_files.py                        # 100,000 tries (about 6 minutes on 2 cores)
    python benchmarks/fuzz_input_files.py --tries 2000           # a quick look
    python benchmarks/fuzz_input_files.py --reader config --save /tmp/fuzz-bugs
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import re
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from tools_registry.errors import ConfigError

if TYPE_CHECKING:
    from tools_registry.domains import LoadedDomain

#: Hostile pieces inserted into a file (the YAML ones reach the config reader's .yaml files).
TOKENS: tuple[bytes, ...] = (
    *(b"{", b"}", b"[", b"]", b'"', b",", b":", b"\\", b"#", b"- ", b"\t", b"null", b"true", b"://"),
    *(b"\\u0000", b"\\ud800", b'"\\udfff"'),  # escapes of NUL and of lone surrogates
    *(b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf", b"\r\n", b"\r", b"\n\n"),  # bad UTF-8, NUL, BOM
    *(b"1e999", b"-1e999", b"NaN", b"Infinity", b"99999999999999999999999", b"1" * 5000),  # numbers
    *(b"[" * 5000, b"{" * 3000, b'{"a":' * 3000, b"x" * (1 << 20)),  # deep, long
    *(b"{{ policy }}", b"{{", b"\n---user---\n"),  # template placeholders and the chat split
    *(b"!!binary", b"!!timestamp 2001-13-99", b"!!python/object:os.system", b"!!set {a, b}", b"%YAML 1.1\n---\n"),
    *(b"&a [1, *a]", b"*a", b"<<: *x", b"? [a, b]\n: 1\n", b"1: 2\n"),  # YAML anchors, merges, odd keys
)

#: Values a JSON node is swapped for (a different type most of the time).
JSON_VALUES: tuple[Any, ...] = (None, True, 0, -1, 2**63, 10**30, 1.5, "", "x", "\ud800", [], [1, "a"], {}, {"a": None})


def _tool(name: str, props: dict[str, Any]) -> dict[str, Any]:
    params = {"type": "object", "properties": props, "required": list(props)}
    return {"type": "function", "function": {"name": name, "description": f"{name} tool", "parameters": params}}


def _lines(*rows: Any) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def _calls(call_id: str, name: str, arguments: Any) -> list[dict[str, Any]]:
    return [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}]


#: Training rows (as tests/trainers/conftest.py builds them): tool calls, JSON-text arguments, a bare tool.
SFT_ROWS: list[dict[str, Any]] = [
    {
        "messages": [
            {"role": "system", "content": "You help with the weather."},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "", "tool_calls": _calls("c1", "get_weather", {"city": "Paris"})},
            {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 21}'},
            {"role": "assistant", "content": "It is 21 degrees in Paris."},
        ],
        "tools": [_tool("get_weather", {"city": {"type": "string"}})],
        "meta": {"provenance": {"source_id": "a"}},
    },
    {
        "messages": [
            {"role": "user", "content": "Where is order A123?"},
            {"role": "assistant", "content": "", "tool_calls": _calls("c2", "lookup_order", '{"order_id": "A123"}')},
            {"role": "tool", "tool_call_id": "c2", "content": "shipped"},
            {"role": "assistant", "content": "Your order A123 has shipped.", "reasoning_content": "It shipped."},
        ],
        "tools": [
            _tool("lookup_order", {"order_id": {"type": "string"}}),
            {"name": "book_flight", "description": "Book.", "parameters": {"type": "object", "properties": {}}},
        ],
        "meta": {"provenance": {"source_id": "b"}, "extra": {"domain": "shop"}},
    },
]

TEXTS = _lines({"id": "a", "text": "How to check the weather."}, {"id": "b", "text": "How to track an order."})

BFCL_RESULTS = _lines(
    {"id": "multi_turn_base_0", "result": [[[{"cd": '{"folder": "document"}'}], "Done."], [[{"ls": "{}"}], "ok"]]},
    {"id": "multi_turn_base_1", "result": [[[{"mkdir": '{"dir_name": "a"}'}, {"cd": '{"folder": "a"}'}]]]},
    {"id": "multi_turn_base_2", "result": "Error during inference: timeout"},
)

CORPUS_TEXT = b"Open the lid and pour the water in slowly until it is full.\n\nThen close the lid and press start."


def _seeds() -> dict[str, list[tuple[str, bytes]]]:
    """Small valid files per reader, as ``(suffix, bytes)``."""
    from gem_env.prompts import BUNDLED_DIR
    from trainers.templates import SMOLLM2_TEMPLATE

    corpus_rows = _lines(
        {"id": "a", "text": "Open the lid and pour the water in until it is full."},
        {"id": "b", "text": CORPUS_TEXT.decode(), "title": "Kettle"},
    )
    rollout_rows = _rollout_rows()
    rows = [json.loads(line) for line in rollout_rows.splitlines()]  # what resume reads: meta.extra
    return {
        "endpoints": [(".txt", b"http://127.0.0.1:8000/v1\n# second server\nhttps://b:2/v1  # backup\n\n")],
        "config": [
            (
                ".json",
                b'{"seed": 7, "num_train_epochs": 3, "learning_rate": 1e-5, "model_init_kwargs": {"dtype": "x"}}',
            ),
            (".yaml", b"seed: 7\nnum_train_epochs: 3\nlr_scheduler_type: cosine\nmodel_init_kwargs:\n  dtype: x\n"),
            (".yml", b"report_to: [none]\nlearning_rate: 1.0e-5  # peak\n"),
        ],
        "corpus": [
            (".jsonl", corpus_rows),
            (".json", json.dumps([{"id": "a", "text": CORPUS_TEXT.decode()}]).encode()),
            (".txt", CORPUS_TEXT),
            (".md", b"# Kettle\n\n" + CORPUS_TEXT),
        ],
        "corpus-folder": [(".jsonl", corpus_rows), (".txt", CORPUS_TEXT)],
        "bfcl-results": [(".json", BFCL_RESULTS)],
        "sft-corpus": [(".jsonl", _lines(*SFT_ROWS)), (".json", json.dumps(SFT_ROWS).encode())],
        "synth-corpus": [(".jsonl", _lines(*SFT_ROWS))],
        "synth-texts": [(".jsonl", TEXTS)],
        "prompt": [
            (".md", (BUNDLED_DIR / "judge.md").read_bytes()),
            (".md", b"Rules: {{policy}}\n---user---\n{{conversation}} and {{ rubric }}"),
        ],
        "chat-template": [(".jinja", SMOLLM2_TEMPLATE.encode())],
        "rollout-resume": [(".jsonl", rollout_rows), (".jsonl", _lines(*({"meta": r["meta"]} for r in rows)))],
        "domain-json": [(".json", (_bundled_domain().path / "domain.json").read_bytes())],
        "domain-tasks": [(".jsonl", (_bundled_domain().path / "tasks.jsonl").read_bytes())],
        "score-rows": [
            (".jsonl", _lines(*({"task_id": r["meta"]["extra"]["task_id"], "messages": r["messages"]} for r in rows)))
        ],
        "synth-store": [(".jsonl", SYNTH_ROWS)],
    }


ROLLOUT_ENV = "gem/photo-framing-v0"

#: A synth output shard as ``ShardWriter`` writes it: two kept rows (their ids in meta.provenance).
SYNTH_ROWS = _lines(*({**row, "meta": {"provenance": {"source_id": f"src-{n}"}}} for n, row in enumerate(SFT_ROWS)))


def _rollout_rows() -> bytes:
    """Two finished episodes as ``arollout`` writes them (the oracle on photo-framing)."""
    from gem_env.rollout import rollout

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.jsonl"
        rollout(ROLLOUT_ENV, "oracle", 2, output=out, concurrency=1)
        return out.read_bytes()


@functools.cache
def _bundled_domain() -> LoadedDomain:
    """photo-framing as bundled, its tools.py imported once (each try reuses that toolkit)."""
    from gem_env.resolution import resolve_domain

    return resolve_domain(ROLLOUT_ENV)


# --- the readers: each reads the mutated file ``path`` (its folder is fresh for every try) ---


def read_endpoints_file(path: Path) -> object:
    from gem_env.llm.pool import read_endpoints

    return read_endpoints([str(path)])


def read_config(path: Path) -> object:
    from trainers.config import GemSFTConfig, load_config_file

    return load_config_file(GemSFTConfig, path)


def read_synth_corpus(path: Path) -> object:
    from synth.corpus import read_corpus

    return list(read_corpus(path, min_chars=1))


def read_synth_corpus_folder(path: Path) -> object:
    from synth.corpus import read_corpus

    (path.parent / "a-good.txt").write_bytes(CORPUS_TEXT)
    return list(read_corpus(path.parent, min_chars=1))


def read_bfcl_results(path: Path) -> object:
    from gem_env.bfcl.results import ResultReplayAgent, read_result_file

    rows = read_result_file(path)
    agent = ResultReplayAgent({r["id"]: r["result"] for r in rows})
    for row in rows[:4]:
        agent.reset(SimpleNamespace(id=row["id"]))
        messages: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
        for _ in range(4):
            reply = asyncio.run(agent.act({"messages": messages}))
            messages += [reply, {"role": "user", "content": "next"}]
    return rows


def read_sft_corpus(path: Path) -> object:
    from trainers.data import load_corpus

    return load_corpus(path)


def read_synth_pairs_corpus(path: Path) -> object:
    from trainers.synthesizer import synthesizer_rows

    texts = path.parent / "texts-good.jsonl"
    texts.write_bytes(TEXTS)
    return synthesizer_rows(path, texts)


def read_synth_pairs_texts(path: Path) -> object:
    from trainers.synthesizer import synthesizer_rows

    corpus = path.parent / "corpus-good.jsonl"
    corpus.write_bytes(_lines(*SFT_ROWS))
    return synthesizer_rows(corpus, path)


def read_prompt(path: Path) -> object:
    import gem_env.prompts as gp

    gp._read.cache_clear()
    prompt = gp.load_prompt("judge", prompts_dir=path.parent)
    if prompt.path != path:
        raise AssertionError(f"the override {path} was not taken: {prompt.path}")
    return prompt.render(**{p: "{{x}}" for p in prompt.placeholders})


def read_chat_template(path: Path) -> object:
    from trainers.templates import known_template

    return known_template(str(path))


def read_rollout_resume(path: Path) -> object:
    from gem_env.rollout import rollout

    return rollout(ROLLOUT_ENV, "oracle", 2, output=path, resume=True, concurrency=1)


def _domain_episode(path: Path) -> object:
    """Load the domain folder holding ``path`` (the other files as bundled), then play one oracle episode.

    The folder is loaded uncached and without importing tools.py: the bundled toolkit stands in (tools.py
    is never mutated). A ConfigError from the episode that names one of the loaded tasks is the expected
    failure too, and is passed on naming the file.
    """
    from gem_env.registration import make_env
    from gem_env.rollout import rollout
    from tools_registry.domains import LoadedDomain, load_domain

    bundled = _bundled_domain()
    for name in ("domain.json", "tasks.jsonl"):
        if name != path.name:
            shutil.copyfile(bundled.path / name, path.parent / name)
    loaded = load_domain(path.parent, load_tools=False)
    loaded = LoadedDomain(domain=loaded.domain, tasks=loaded.tasks, path=loaded.path, toolkit=bundled.toolkit)
    try:
        return rollout(make_env(loaded), "oracle", 1, concurrency=1)
    except ConfigError as exc:
        if not any(t.id in str(exc) for t in loaded.tasks):
            raise
        raise ConfigError(f"{path}: a task was refused: {exc}") from exc


def read_scored_rows(path: Path) -> object:
    from gem_env.score import read_rows, score_rows

    return score_rows(ROLLOUT_ENV, read_rows(path), source=str(path))


def read_synth_store(path: Path) -> object:
    from synth.store import finished_ids

    corpus = path.parent / "out" / "corpus"
    corpus.mkdir(parents=True)
    path.rename(corpus / path.name)
    return finished_ids(path.parent / "out")


@dataclass(frozen=True)
class Reader:
    """One reader under test: the file name (stem) it is given and the call that reads it."""

    name: str
    stem: str
    read: Callable[[Path], object]


READERS: tuple[Reader, ...] = (
    Reader("endpoints", "urls", read_endpoints_file),
    Reader("config", "config", read_config),
    Reader("corpus", "corpus", read_synth_corpus),
    Reader("corpus-folder", "b-fuzzed", read_synth_corpus_folder),
    Reader("bfcl-results", "results", read_bfcl_results),
    Reader("sft-corpus", "sft", read_sft_corpus),
    Reader("synth-corpus", "corpus", read_synth_pairs_corpus),
    Reader("synth-texts", "texts", read_synth_pairs_texts),
    Reader("prompt", "judge", read_prompt),
    Reader("chat-template", "template", read_chat_template),
    Reader("rollout-resume", "rows", read_rollout_resume),
    Reader("domain-json", "domain", _domain_episode),
    Reader("domain-tasks", "tasks", _domain_episode),
    Reader("score-rows", "rows", read_scored_rows),
    Reader("synth-store", "part-000-00000", read_synth_store),
)


# --- mutations ---


def _json_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _json_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _json_paths(v, (*path, i))
    return out


def _swap_value(doc: Any, rng: random.Random) -> Any:
    """``doc`` with one node (maybe the root) replaced by a value of another JSON type."""
    path = rng.choice(_json_paths(doc))
    new = rng.choice(JSON_VALUES)
    if not path:
        return new
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return doc


def retype(data: bytes, rng: random.Random) -> bytes:
    """Swap a value of the whole file (a JSON document) or of one of its lines (JSON Lines)."""
    try:
        return json.dumps(_swap_value(json.loads(data), rng)).encode()
    except (ValueError, RecursionError):  # not one JSON document (or too deep for this edit)
        pass
    lines = data.split(b"\n")
    order = list(range(len(lines)))
    rng.shuffle(order)
    for i in order:
        try:
            lines[i] = json.dumps(_swap_value(json.loads(lines[i]), rng)).encode()
        except (ValueError, RecursionError):
            continue
        return b"\n".join(lines)
    return data


_VALUE_START = re.compile(rb"[:\[,{\n]\s*")


def _position(data: bytes, rng: random.Random) -> int:
    """Anywhere in ``data``, or (half the time) where a value or a line starts, where tokens matter most."""
    if rng.random() < 0.5:
        starts = [m.end() for m in _VALUE_START.finditer(data)]
        if starts:
            return rng.choice(starts)
    return rng.randrange(len(data) + 1)


def mutate_once(data: bytes, rng: random.Random) -> bytes:
    """One random edit of ``data``."""
    n = len(data)
    at = _position(data, rng)
    k = rng.random()
    if k < 0.12 and n:  # flip bits of a few bytes
        buf = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            buf[rng.randrange(n)] ^= 1 << rng.randrange(8)
        return bytes(buf)
    if k < 0.2:  # cut anywhere
        return data[:at]
    if k < 0.28:  # random bytes in
        return data[:at] + rng.randbytes(rng.randrange(1, 16)) + data[at:]
    if k < 0.36:  # a span out
        return data[:at] + data[at + rng.randrange(1, 64) :]
    if k < 0.46:  # duplicate, drop or splice lines
        lines = data.split(b"\n")
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        op = rng.random()
        if op < 0.4:
            lines.insert(i, lines[j])
        elif op < 0.7:
            del lines[i]
        else:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)] + lines[j][rng.randrange(len(lines[j]) + 1) :]
        return b"\n".join(lines)
    if k < 0.78:  # a hostile token in, or in place of a span
        token = rng.choice(TOKENS)
        end = at + rng.randrange(0, 8) if rng.random() < 0.5 else at
        return data[:at] + token + data[end:]
    if k < 0.92:
        return retype(data, rng)
    if k < 0.96:  # a line ending or a BOM applied to the whole file
        return rng.choice([data.replace(b"\n", b"\r\n"), b"\xef\xbb\xbf" + data, data.replace(b"\n", b"\r")])
    return rng.randbytes(rng.randrange(0, 512))  # nothing but noise


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four edits (mostly one, so most inputs stay close to valid)."""
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        data = mutate_once(data, rng)
    return data


# --- the run ---


@dataclass
class Tally:
    """Outcomes of one reader."""

    tries: int = 0
    ok: int = 0
    config_error: int = 0
    bugs: int = 0
    seconds: float = 0.0
    slowest: float = 0.0

    def add(self, outcome: str, seconds: float) -> None:
        """Count one try."""
        self.tries += 1
        self.seconds += seconds
        self.slowest = max(self.slowest, seconds)
        if outcome == "ok":
            self.ok += 1
        elif outcome == "config_error":
            self.config_error += 1
        else:
            self.bugs += 1


def _where(exc: BaseException) -> str:
    """``file:line in function`` of the frame that raised ``exc``."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    f = frames[-1]
    return f"{Path(f.filename).name}:{f.lineno} in {f.name}"


def try_one(reader: Reader, suffix: str, data: bytes, folder: Path) -> tuple[str, BaseException | None]:
    """Write ``data`` as the reader's file in the empty ``folder`` and read it: ``("ok" | "config_error" | bug, exc)``."""
    path = folder / f"{reader.stem}{suffix}"
    path.write_bytes(data)
    try:
        reader.read(path)
    except ConfigError as exc:
        if path.name not in str(exc):
            return "ConfigError without the file's name", exc
        return "config_error", None
    except Exception as exc:  # noqa: BLE001 - what the benchmark counts
        return type(exc).__name__, exc
    return "ok", None


def check_seeds(readers: list[Reader], seeds: dict[str, list[tuple[str, bytes]]], tmp: Path) -> None:
    """Every unmutated seed must read without an error (else the fuzzer would start from broken files)."""
    for reader in readers:
        for n, (suffix, data) in enumerate(seeds[reader.name]):
            folder = tmp / f"seed-{reader.name}-{n}"
            folder.mkdir()
            outcome, exc = try_one(reader, suffix, data, folder)
            shutil.rmtree(folder)
            if outcome != "ok":
                raise SystemExit(f"seed {n} ({suffix}) of {reader.name} does not read: {outcome} {exc}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tries", type=int, default=100_000, help="tries in all, spread evenly over the readers")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--reader", choices=[r.name for r in READERS], help="fuzz this reader only")
    ap.add_argument("--save", type=Path, help="keep the first input of each distinct bug in this folder")
    args = ap.parse_args()
    readers = [r for r in READERS if args.reader in (None, r.name)]
    all_seeds = _seeds()
    rng = random.Random(args.seed)
    tallies = {r.name: Tally() for r in readers}
    first: dict[tuple[str, str, str], tuple[bytes, str, str]] = {}
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gem-fuzz-files-") as tmp:
        check_seeds(readers, all_seeds, Path(tmp))  # imports every reader's modules before the clock starts
        started = time.perf_counter()
        for i in range(args.tries):
            reader = readers[i % len(readers)]
            suffix, data = rng.choice(all_seeds[reader.name])
            if rng.random() < 0.1:  # the content of another of its seeds under this suffix
                suffix = rng.choice(all_seeds[reader.name])[0]
            data = mutate(data, rng)
            folder = Path(tmp) / f"try-{i}"
            folder.mkdir()
            t0 = time.perf_counter()
            outcome, exc = try_one(reader, suffix, data, folder)
            spent = time.perf_counter() - t0
            shutil.rmtree(folder)
            tallies[reader.name].add(outcome, spent)
            if exc is None:
                continue
            key = (reader.name, outcome, _where(exc))
            if key not in first:
                first[key] = (data, suffix, f"{str(exc)[:160]!r}")
                print(f"BUG {reader.name}: {outcome} at {key[2]}: {first[key][2]} (input {data[:80]!r})")
                if args.save:
                    (args.save / f"{reader.name}-{len(first)}{suffix}").write_bytes(data)
    secs = time.perf_counter() - started
    print(f"\n{args.tries} tries over {len(readers)} readers, seed {args.seed}, {secs:.1f}s")
    print(f"{'reader':16} {'tries':>6} {'ok':>6} {'config':>6} {'bugs':>5} {'tries/s':>8} {'slowest':>8}")
    for name, t in tallies.items():
        rate = t.tries / t.seconds if t.seconds else 0.0
        print(f"{name:16} {t.tries:6d} {t.ok:6d} {t.config_error:6d} {t.bugs:5d} {rate:8.0f} {t.slowest:7.2f}s")
    total = sum(t.bugs for t in tallies.values())
    print(f"bugs: {total} ({len(first)} distinct)")
    for (name, kind, where), (data, suffix, message) in first.items():
        print(f"  {name}: {kind} at {where}: {message}; first input ({suffix}, {len(data)} bytes) {data[:120]!r}")
    raise SystemExit(1 if total else 0)


if __name__ == "__main__":
    main()
