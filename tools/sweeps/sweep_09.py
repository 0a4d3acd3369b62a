"""How notebook 09's settings were chosen: a sweep on the validation split only.

Runs the notebook's own code (its locked data cells and the solution's bag_of_words, BagOfWords,
fit_best and SentimentLSTM, read from solutions/09-sentiment/09-sentiment.ipynb) and trains

- the BiLSTM with embeddings = hidden state in SIZES, Adam learning rates in LSTM_LRS,
- the bag of words with Adam learning rates in BOW_LRS,

each with the seeds in SEEDS (the seed of the weights, of dropout, of word dropout and of the order of
the batches), up to MAX_EPOCHS epochs. fit_best keeps the best validation epoch, so a run of E epochs
scores the best validation accuracy among its first E epochs; the table gives, for every setting and
every E, the mean over the seeds. The notebook must run in well under a minute on a 2-core laptop, so
only settings whose training (E x the measured seconds per epoch, on one core of the machine that runs
the sweep) fits TRAIN_BUDGET_S compete. The chosen setting is the best mean among them, ties (within
TIE) going to the one that trains fastest.

The test split is never opened: the notebook's setup cell closes it (cu.heldout.hold_out), and
this script never seals a model, so any request for it would raise.

    OMP_NUM_THREADS=1 .venv/bin/python tools/sweeps/sweep_09.py [--jobs 2] [--quick]

One training takes 15 to 40 s on one core of a laptop; the full sweep about 15 minutes on one core,
spread over --jobs processes (one thread each).
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "solutions" / "09-sentiment" / "09-sentiment.ipynb"
sys.path.insert(0, str(REPO))

SIZES = (32, 48, 64)
LSTM_LRS = (3e-3, 8e-3)
BOW_LRS = (1e-3, 3e-3, 1e-2, 3e-2)
SEEDS = (0, 1, 2)
MAX_EPOCHS = 8
TIE = 0.002          # mean validation accuracies closer than this are treated as equal
TRAIN_BUDGET_S = 25  # seconds of training on one core of the sweep's machine
CELLS = ("setup", "data", "vocab", "batches", "loaders", "bag_of_words", "BagOfWords", "fit_best",
         "SentimentLSTM")

NS: dict = {}        # the notebook's namespace, built once and shared with the workers (fork)
DEVICE = ["cpu"]


def _cell_source(cells, name):
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if meta.get("grade_id") == name or (cell["cell_type"] == "code" and source.startswith(f"class {name}(")):
            return source
    raise LookupError(f"no cell {name!r} in {NOTEBOOK}")


def load_notebook() -> dict:
    """Execute the notebook's data cells and the solution's definitions; return the namespace."""
    import contextlib
    import io

    cells = json.loads(NOTEBOOK.read_text())["cells"]
    ns: dict = {"__name__": "sweep_09"}
    with contextlib.redirect_stdout(io.StringIO()):
        for name in CELLS:
            exec(compile(_cell_source(cells, name), f"<09 cell {name}>", "exec"), ns)
    return ns


def _loader(seed: int):
    import torch

    ns = NS
    ns["word_dropout_generator"].manual_seed(seed)
    sampler = ns["cu"].data.LengthBatches(ns["train_lengths"], ns["BATCH"], shuffle=True, seed=seed)
    return torch.utils.data.DataLoader(ns["train_data"], batch_sampler=sampler, collate_fn=ns["train_collate"])


def train(job):
    """One training run; returns its validation accuracy after each epoch."""
    import torch
    from torch import nn

    torch.set_num_threads(1)
    kind, size, lr, seed, epochs = job
    ns, cu = NS, NS["cu"]
    cu.set_seed(seed)
    vocab = ns["vocab"]
    if kind == "lstm":
        model = ns["SentimentLSTM"](len(vocab), size, size, vocab.pad_id)
    else:
        model = ns["BagOfWords"](len(vocab), vocab.pad_id)
    model = model.to(DEVICE[0])
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    history, _ = ns["fit_best"](model, _loader(seed), ns["valid_loader"], nn.CrossEntropyLoss(), optimizer,
                                epochs, progress=False)
    assert cu.heldout.is_closed(), "the test split must stay closed during the sweep"
    return job, list(history["valid_accuracy"]), time.perf_counter() - start


def summarise(results):
    """{(kind, size, lr): {E: mean over seeds of the best validation accuracy of the first E epochs}}."""
    by_setting: dict = {}
    for (kind, size, lr, _seed, _), curve, seconds in results:
        by_setting.setdefault((kind, size, lr), []).append((curve, seconds))
    table = {}
    for setting, runs in sorted(by_setting.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0, kv[0][2])):
        epochs = min(len(c) for c, _ in runs)
        table[setting] = {
            "mean": {e: statistics.mean(max(c[:e]) for c, _ in runs) for e in range(1, epochs + 1)},
            "range": {e: (min(max(c[:e]) for c, _ in runs), max(max(c[:e]) for c, _ in runs))
                      for e in range(1, epochs + 1)},
            "seconds_per_epoch": statistics.mean(s / len(c) for c, s in runs),
            "seeds": len(runs),
        }
    return table


def choose(table, kind):
    rows = [(row["mean"][e], e, setting, e * row["seconds_per_epoch"]) for setting, row in table.items()
            if setting[0] == kind for e in row["mean"]]
    rows = [r for r in rows if r[3] <= TRAIN_BUDGET_S] or rows
    best = max(r[0] for r in rows)
    near = [r for r in rows if r[0] >= best - TIE]
    return min(near, key=lambda r: (r[3], -r[0]))[:3]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    parser.add_argument("--quick", action="store_true", help="one seed, 2 epochs: does it run?")
    parser.add_argument("--json", type=Path, help="write the raw curves here")
    parser.add_argument("--device", default="cpu", help="cpu (the default) or cuda")
    parser.add_argument("--load", type=Path, help="summarise the curves an earlier run wrote (--json)")
    args = parser.parse_args(argv)
    DEVICE[0] = args.device
    seeds, max_epochs = ((0,), 2) if args.quick else (SEEDS, MAX_EPOCHS)

    if args.load:
        results = [(tuple(j), c, s) for j, c, s in json.loads(args.load.read_text())]
        seeds = sorted({j[3] for j, _, _ in results})
        print(f"{len(results)} trainings read from {args.load}; seeds {seeds}")
    else:
        NS.update(load_notebook())
        jobs = [("lstm", size, lr, seed, max_epochs)
                for size, lr, seed in itertools.product(SIZES, LSTM_LRS, seeds)]
        jobs += [("bow", None, lr, seed, max_epochs) for lr, seed in itertools.product(BOW_LRS, seeds)]
        jobs.sort(key=lambda j: j[0] != "lstm")          # long runs first
        start = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            results = pool.map(train, jobs, chunksize=1)
        print(f"{len(jobs)} trainings in {time.perf_counter() - start:.0f} s on {args.jobs} processes "
              f"({args.device}, torch {NS['torch'].__version__}); seeds {list(seeds)}")
    table = summarise(results)
    print("validation accuracy: mean over the seeds of the best epoch among the first E (E1 .. E8)")
    for (kind, size, lr), row in table.items():
        name = f"{'BiLSTM ' + str(size) if kind == 'lstm' else 'bag of words'}, lr {lr:g}"
        cells = "  ".join(f"E{e} {m:.4f}" for e, m in row["mean"].items())
        print(f"  {name:<22} {row['seconds_per_epoch']:5.1f} s/epoch  {cells}")
    for kind, label in (("lstm", "BiLSTM"), ("bow", "bag of words")):
        mean, epochs, (_, size, lr) = choose(table, kind)
        lo, hi = table[(kind, size, lr)]["range"][epochs]
        sized = f"size {size}, " if size else ""
        seconds = epochs * table[(kind, size, lr)]["seconds_per_epoch"]
        print(f"chosen {label}: {sized}lr {lr:g}, {epochs} epochs (about {seconds:.0f} s of training): "
              f"validation {mean:.4f} (seeds {lo:.4f} .. {hi:.4f}); budget {TRAIN_BUDGET_S} s")
    if args.json:
        args.json.write_text(json.dumps([[list(j), c, s] for j, c, s in results]))


if __name__ == "__main__":
    main()
