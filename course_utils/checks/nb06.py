"""Graded checks for notebook 06, bidirectional LSTMs.

Each check builds its own fixtures (a seeded nn.LSTM(bidirectional=True), seeded inputs), compares
the learner's answer with that module's own results or with properties of it (the forward direction
ends at the last step of out, the backward direction at step 0; a truncated copy of the stack gives
the final state of each lower layer), and raises CheckFailed / ShapeError naming the mistake and
the fix. Weights are copied by the check itself, never by a learner's function.

Called without keyword arguments (the visible call in the notebook), a check tries every
configuration its task allows: one and several layers, both layouts, several sizes, a non-zero
initial state. A hidden test names one configuration with keyword arguments.
"""

from __future__ import annotations

import re

import torch
from torch import nn

from ..messages import fit_lines, fmt
from ..shapes import check_shape
from .common import (
    CheckFailed,
    calling,
    close,
    generator,
    keep,
    passed,
    require_close,
    require_tensor,
    require_unchanged,
    seeded,
    seeded_lstm,
    seeded_randn,
)
from .kernel import PARAMS, copy_layer_weights, lstm_result_parts, tensor_list

SUFFIXES = ("", "_reverse")
DIRECTIONS = ("forward", "backward")


def _fail(message: str) -> CheckFailed:
    return CheckFailed(fit_lines(message))


def _require(condition: bool, message: str) -> None:
    __tracebackhide__ = True
    if not condition:
        raise _fail(message)


def _require_close(got, want, name, *, explain=(), fix=""):
    """common.require_close, with every line of its message fitted to the width a notebook shows."""
    __tracebackhide__ = True
    try:
        require_close(got, want, name, explain=explain, fix=fix)
    except CheckFailed as err:
        raise _fail(str(err)) from None


def _runs(kwargs: dict, base: dict, visible: list[dict]) -> list[dict]:
    """The configurations to try: all of `visible` for the visible call, the one named otherwise."""
    if kwargs:
        unknown = set(kwargs) - set(base)
        if unknown:
            raise TypeError(f"unknown argument(s) {sorted(unknown)}; known: {sorted(base)}")
        return [{**base, **kwargs}]
    return [{**base, **v} for v in visible]


def _seed(cfg: dict, salt: int) -> int:
    return salt + 1000 * cfg.get("seed", 0) + sum(17 ** i * int(v) for i, v in enumerate(cfg.values()))


def _input(cfg: dict, salt: int) -> torch.Tensor:
    seq, batch, feature = cfg["seq"], cfg["batch"], cfg["feature"]
    shape = (batch, seq, feature) if cfg["batch_first"] else (seq, batch, feature)
    return seeded_randn(*shape, seed=_seed(cfg, salt))


def _bi(cfg: dict, salt: int) -> nn.LSTM:
    return seeded_lstm(cfg["feature"], cfg["hidden"], seed=_seed(cfg, salt), num_layers=cfg["num_layers"],
                       bidirectional=True, batch_first=cfg["batch_first"])


def _at(out: torch.Tensor, step: int, batch_first: bool) -> torch.Tensor:
    """out at one step, (batch, ...), in either layout."""
    return out[:, step] if batch_first else out[step]


def _layer_of(key: str) -> int:
    return int(re.search(r"_l(\d+)", key).group(1))


def _truncated(bi: nn.LSTM, layers: int) -> nn.LSTM:
    """The bottom `layers` layers of bi as a module of their own: its top layer is bi's layer layers - 1."""
    part = seeded_lstm(bi.input_size, bi.hidden_size, num_layers=layers, bidirectional=True,
                       batch_first=bi.batch_first)
    part.load_state_dict({k: v for k, v in bi.state_dict().items() if _layer_of(k) < layers})
    return part


def _layers_text(n: int) -> str:
    return f"{n} layer{'s' if n > 1 else ''}"


def _config_text(cfg: dict) -> str:
    text = _layers_text(cfg["num_layers"])
    if cfg.get("batch_first"):
        text += ", batch_first"
    if cfg.get("with_state"):
        text += ", from (h0, c0)"
    return text


# --- exercise 1: direction_states ------------------------------------------------------------------

FIX_DIRECTIONS = "s = h_n.view(num_layers, 2, -1, h_n.shape[-1]);  return s[:, 0], s[:, 1]"


def check_direction_states(direction_states, **kwargs) -> None:
    """direction_states(h_n, num_layers) -> (forward, backward), each (layers, batch, hidden)."""
    __tracebackhide__ = True
    runs = _runs(kwargs, dict(num_layers=3, batch=3, seq=6, feature=2, hidden=4, batch_first=False, seed=0), [
        dict(num_layers=1, batch=2, seq=5, feature=3, hidden=3),
        dict(num_layers=3, batch=3, seq=6, feature=2, hidden=4, batch_first=True),
        dict(num_layers=2, batch=5, seq=3, feature=4, hidden=2),
    ])
    for cfg in runs:
        num_layers, batch, hidden, bf = cfg["num_layers"], cfg["batch"], cfg["hidden"], cfg["batch_first"]
        bi = _bi(cfg, 61)
        x = _input(cfg, 62)
        with torch.no_grad():
            out, (h_n, c_n) = bi(x)
            want_h, want_c = ([], []), ([], [])
            for layer in range(num_layers):
                # the final states of layer `layer`, read off a stack that ends with that layer:
                # forward at its last step, backward at its step 0 (out), both in the last two rows of c_n
                part_out, (_, part_c) = _truncated(bi, layer + 1)(x)
                want_h[0].append(_at(part_out, -1, bf)[:, :hidden])
                want_h[1].append(_at(part_out, 0, bf)[:, hidden:])
                want_c[0].append(part_c[-2])
                want_c[1].append(part_c[-1])
        for name, state, want in (("h_n", h_n, want_h), ("c_n", c_n, want_c)):
            want = tuple(torch.stack(w) for w in want)
            given = state.clone()
            kept = keep(**{name: given})
            with calling("direction_states"):
                result = direction_states(given, num_layers)
            require_unchanged(f"direction_states({name}, num_layers={num_layers})", kept, **{name: given})
            _compare_directions(result, state, want, name, num_layers, batch, hidden)
    configs = ", ".join(str(cfg["num_layers"]) for cfg in runs)
    passed(f"direction_states: row 2 * layer + direction in h_n and c_n ({configs} layers)")


def _compare_directions(result, state, want, name, num_layers, batch, hidden) -> None:
    __tracebackhide__ = True
    call = f"direction_states({name}, num_layers={num_layers})"
    _require(
        isinstance(result, (tuple, list)) and len(result) == 2,
        f"{call} should return two tensors, (forward, backward),\n  but it returned "
        f"{'None' if result is None else 'a ' + type(result).__name__}"
        f"{' of ' + str(len(result)) + ' items' if isinstance(result, (tuple, list)) else ''}.\n"
        f"  Fix:  {FIX_DIRECTIONS}",
    )
    for d, got in enumerate(result):
        _check_direction_shape(got, d, call, num_layers, batch, hidden)
    fw, bw = (t.detach().to(state.device, state.dtype) for t in result)
    if close(fw, want[0]) and close(bw, want[1]):
        return
    _explain_directions(fw, bw, state, want, call, name, num_layers)


def _check_direction_shape(got, d, call, num_layers, batch, hidden) -> None:
    """One direction's states: (layers, batch, hidden); one layer's, or the whole view, are named."""
    __tracebackhide__ = True
    require_tensor(got, f"the {DIRECTIONS[d]} states")
    shape = tuple(got.shape)
    if shape == (batch, hidden):
        raise _fail(
            f"the {DIRECTIONS[d]} states from {call} are one layer's:\n"
            f"  shape {fmt(shape)} = (batch={batch}, hidden={hidden}). Keep every layer, "
            f"(layers={num_layers}, batch={batch}, hidden={hidden}):\n"
            f"  {DIRECTIONS[d]}[l] is layer l.\n"
            f"  Fix:  {FIX_DIRECTIONS}"
        )
    if shape == (num_layers, 2, batch, hidden):
        raise _fail(
            f"the {DIRECTIONS[d]} states from {call} have shape {fmt(shape)}:\n"
            "  both directions, the whole view.\n"
            "  Axis 1 of the view is the direction: index it to keep one.\n"
            f"  Fix:  {FIX_DIRECTIONS}"
        )
    check_shape(got, "layers batch hidden", layers=num_layers, batch=batch, hidden=hidden,
                name=f"the {DIRECTIONS[d]} states")


def _explain_directions(fw, bw, state, want, call, name, num_layers) -> None:
    """The right shapes, other rows: blocks instead of interleaved rows, directions swapped, a row."""
    __tracebackhide__ = True
    if num_layers > 1 and close(fw, state[:num_layers]) and close(bw, state[num_layers:]):
        raise _fail(
            f"{call} read the rows as [all forward, then all backward]:\n"
            f"  forward = {name}[:{num_layers}] and backward = {name}[{num_layers}:]. "
            "PyTorch interleaves the two:\n"
            f"  row 2 * layer + direction, so {name}[1] is layer 0's backward direction.\n"
            f"  Fix:  {FIX_DIRECTIONS}"
        )
    if close(fw, want[1]) and close(bw, want[0]):
        raise _fail(
            f"{call} returned the directions the other way round:\n"
            f"  (backward, forward). In each layer's pair of rows the forward direction comes first:\n"
            f"  {name}[2 * l] is layer l's forward direction, {name}[2 * l + 1] its backward one.\n"
            f"  Fix:  {FIX_DIRECTIONS}"
        )
    for d, got in enumerate((fw, bw)):
        for layer in range(num_layers):
            if close(got[layer], want[d][layer]):
                continue
            what = f"{DIRECTIONS[d]}[{layer}] from {call}"
            rows = [r for r in range(2 * num_layers) if close(got[layer], state[r])]
            if rows:
                r = rows[0]
                raise _fail(
                    f"{what} holds {name}[{r}],\n  layer {r // 2}'s {DIRECTIONS[r % 2]} "
                    f"direction. Layer {layer}'s {DIRECTIONS[d]} direction is row 2 * {layer} + {d} = "
                    f"{2 * layer + d}:\n  the rows go layer 0 forward, layer 0 backward, layer 1 "
                    "forward, ...\n"
                    f"  Fix:  {FIX_DIRECTIONS}"
                )
            raise _fail(
                f"{what} is no row of {name}:\n"
                "  a view or reshape mixed the batch or hidden axis into the rows. view keeps memory\n"
                "  order: only the first axis of (layers x 2, batch, hidden) splits into (layers, 2).\n"
                f"  Fix:  {FIX_DIRECTIONS}"
            )


# --- exercise 2: sentence_vector ------------------------------------------------------------------


def _fix_sentence(batch_first: bool) -> str:
    last, first = ("out[:, -1, ", "out[:, 0, ") if batch_first else ("out[-1, :, ", "out[0, :, ")
    return f"H = out.shape[-1] // 2;  torch.cat([{last}:H], {first}H:]], dim=-1)"


def check_sentence_vector(sentence_vector, **kwargs) -> None:
    """sentence_vector(out, batch_first) -> (batch, 2 x hidden) == torch.cat([h_n[-2], h_n[-1]], -1)."""
    __tracebackhide__ = True
    runs = _runs(kwargs, dict(num_layers=1, batch=3, seq=7, feature=2, hidden=4, batch_first=False, seed=0), [
        dict(),
        dict(num_layers=2, batch=2, seq=5, feature=3, hidden=6, batch_first=True),
        dict(batch=5, seq=3, feature=4, hidden=3, batch_first=True),
    ])
    for cfg in runs:
        batch, seq, hidden, bf = cfg["batch"], cfg["seq"], cfg["hidden"], cfg["batch_first"]
        bi = _bi(cfg, 71)
        with torch.no_grad():
            out, (h_n, _) = bi(_input(cfg, 72))
        want = torch.cat([h_n[-2], h_n[-1]], dim=-1)       # PyTorch's own final states, both directions
        call = f"sentence_vector(out, batch_first={bf})"
        fix = _fix_sentence(bf)
        given = out.clone()
        kept = keep(out=given)
        with calling("sentence_vector"):
            got = sentence_vector(given, bf)
        require_unchanged(call, kept, out=given)
        require_tensor(got, call)
        shape = tuple(got.shape)
        layout = ("(batch, seq, 2 x hidden): the steps are\n  axis 1, and out[-1] is the last sequence"
                  if bf else "(seq, batch, 2 x hidden): the steps are axis 0")
        if shape == (seq, 2 * hidden) and seq != batch:
            raise _fail(
                f"{call} has shape {fmt(shape)} = (seq={seq}, 2 x hidden={2 * hidden}),\n"
                f"  not (batch={batch}, 2 x hidden={2 * hidden}): it read the wrong axis as the steps.\n"
                f"  With batch_first={bf}, out is {layout}.\n"
                f"  Fix:  {fix}"
            )
        if shape == (batch, hidden):
            raise _fail(
                f"{call} has shape {fmt(shape)} = (batch={batch}, hidden={hidden}):\n"
                "  one direction only. The sentence vector holds both final states side by side,\n"
                f"  (batch={batch}, 2 x hidden={2 * hidden}).\n"
                f"  Fix:  {fix}"
            )
        check_shape(got, "batch hidden", batch=batch, hidden=2 * hidden, name=call)
        explain = _sentence_mistakes(out, call, hidden, bf, fix)
        _require_close(got, want, "the sentence vector", explain=explain, fix=fix)
    passed("sentence_vector: forward half at the last step, backward at step 0, both layouts")


def _sentence_mistakes(out, call, hidden, bf, fix) -> list:
    """(vector, message) pairs: what a sentence vector taken from the wrong steps or columns holds."""
    last, first = _at(out, -1, bf), _at(out, 0, bf)
    h = hidden
    where_last, where_first = ("out[:, -1]", "out[:, 0]") if bf else ("out[-1]", "out[0]")
    explain = [
        (last, f"{call} returned {where_last}, the last step, whole.\n"
               "  Its forward half is the forward direction's final state; its backward half has "
               "read\n  ONE step: the backward direction starts at the last step and ends at "
               "step 0.\n"
               f"  Fix:  {fix}"),
        (first, f"{call} returned {where_first}, the first step, whole.\n"
                "  Its backward half is the backward direction's final state; its forward half has "
                "read\n  one step only: the forward direction ends at the last step.\n"
                f"  Fix:  {fix}"),
        (torch.cat([first[:, h:], last[:, :h]], dim=-1),
         f"{call} has the two final states in the wrong order:\n"
         f"  backward first. out puts the forward direction first (its first {h} columns), then\n"
         "  the backward one; keep that order, as torch.cat([h_n[-2], h_n[-1]], dim=-1) does.\n"
         f"  Fix:  {fix}"),
        (torch.cat([first[:, :h], last[:, h:]], dim=-1),
         f"{call} took each half at the wrong end: the forward half\n"
         "  at step 0 and the backward half at the last step, where each has read one step only.\n"
         "  The forward direction ends at the last step, the backward direction at step 0.\n"
         f"  Fix:  {fix}"),
    ]
    explain += [(torch.cat([last[:, :k], first[:, k:]], dim=-1),
                 f"{call} split out at column {k},\n"
                 f"  but this out has 2 x hidden = {2 * h} columns: its forward half is "
                 f"out[..., :{h}].\n  A size written into the code fits one LSTM only.\n"
                 f"  Fix:  {fix}") for k in range(1, 2 * h) if k != h]
    return explain


# --- exercise 3: BiClassifier ----------------------------------------------------------------------

FIX_SENTENCE = "self.head(torch.cat([h_n[-2], h_n[-1]], dim=-1))"
FIX_LSTM = "nn.LSTM(emb_dim, hidden_size, num_layers, batch_first=True, bidirectional=True)"
FIX_HEAD = "self.head = nn.Linear(2 * hidden_size, num_classes)"
FIX_EMBEDDING = "self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)"


def check_bi_classifier(BiClassifier, **kwargs) -> None:  # noqa: N803
    """BiClassifier(vocab_size, emb_dim, hidden_size, num_classes, pad_id, num_layers) on ids (batch, seq)."""
    __tracebackhide__ = True
    runs = _runs(kwargs, dict(vocab_size=30, emb_dim=3, hidden_size=4, num_classes=2, pad_id=1, num_layers=1,
                              batch=3, seq=7, seed=0), [
        dict(),
        dict(vocab_size=25, emb_dim=2, hidden_size=3, num_classes=5, pad_id=3, num_layers=2, batch=2, seq=5),
    ])
    for cfg in runs:
        _check_one_classifier(BiClassifier, cfg)
    passed("BiClassifier: the sentence vector into a head of 2 x hidden "
           f"({' and '.join(str(c['num_layers']) for c in runs)} layers)")


def _check_one_classifier(BiClassifier, cfg) -> None:  # noqa: N803
    __tracebackhide__ = True
    vocab, emb_dim, hidden, classes = cfg["vocab_size"], cfg["emb_dim"], cfg["hidden_size"], cfg["num_classes"]
    pad_id, num_layers, batch, seq = cfg["pad_id"], cfg["num_layers"], cfg["batch"], cfg["seq"]
    with seeded(_seed(cfg, 81)), calling("BiClassifier"):
        model = BiClassifier(vocab, emb_dim, hidden, classes, pad_id, num_layers)
    embedding, lstm, head = _classifier_parts(model, cfg)
    gen = generator(_seed(cfg, 82))
    ids = torch.randint(0, vocab, (batch, seq), generator=gen)
    ids[ids == pad_id] = (pad_id + 1) % vocab                 # no padding: every step is a word
    logits, fed, error = _run_classifier(model, head, ids)
    # what the head should read, computed by the check from the learner's own modules
    with torch.no_grad():
        embedded = embedding(ids)
        out, (h_n, _) = lstm(embedded if lstm.batch_first else embedded.transpose(0, 1))
        out_bf = out if lstm.batch_first else out.transpose(0, 1)       # (batch, seq, 2 x hidden)
        sentence = torch.cat([h_n[-2], h_n[-1]], dim=-1)
        want = head(sentence)
    if fed and not close(fed[0], sentence):
        _explain_head_input(fed[0], error, lstm, h_n, out_bf, batch, seq, hidden, num_layers)
    if error is not None:
        raise error
    _require(bool(fed),
             "BiClassifier.forward() never called self.head: the scores must come from it.\n"
             f"  Fix:  return {FIX_SENTENCE}")
    require_tensor(logits, "the logits")
    check_shape(logits, "batch classes", batch=batch, classes=classes, name="the logits")
    if close(logits, torch.softmax(want, dim=-1)) or close(logits, torch.log_softmax(want, dim=-1)):
        raise _fail(
            "BiClassifier.forward() turned the scores into probabilities (softmax) before\n"
            "  returning them. Return the head's raw scores: nn.CrossEntropyLoss applies\n"
            "  log-softmax itself.\n"
            f"  Fix:  return {FIX_SENTENCE}"
        )
    _require_close(logits, want, "the logits", fix=f"return {FIX_SENTENCE}")


def _classifier_parts(model, cfg):
    """model.embedding, model.lstm, model.head, each built with the sizes the task gives."""
    __tracebackhide__ = True
    vocab, emb_dim, hidden, classes = cfg["vocab_size"], cfg["emb_dim"], cfg["hidden_size"], cfg["num_classes"]
    pad_id, num_layers, batch = cfg["pad_id"], cfg["num_layers"], cfg["batch"]
    _require(isinstance(model, nn.Module),
             f"BiClassifier(...) should build an nn.Module, but it is a {type(model).__name__}.")
    embedding, lstm, head = (getattr(model, name, None) for name in ("embedding", "lstm", "head"))
    _require(isinstance(embedding, nn.Embedding),
             "BiClassifier should keep its nn.Embedding in self.embedding.\n"
             f"  Fix:  {FIX_EMBEDDING}")
    _require((embedding.num_embeddings, embedding.embedding_dim) == (vocab, emb_dim),
             f"self.embedding is nn.Embedding({embedding.num_embeddings}, {embedding.embedding_dim}), "
             f"but it should be\n  (vocab={vocab}, emb={emb_dim}).\n"
             f"  Fix:  {FIX_EMBEDDING}")
    _require(embedding.padding_idx == pad_id,
             f"self.embedding has padding_idx={embedding.padding_idx}, but the <pad> id is {pad_id}:\n"
             "  its row should stay zero and never learn (notebook 01).\n"
             f"  Fix:  {FIX_EMBEDDING}")
    _require(isinstance(lstm, nn.LSTM),
             "BiClassifier should keep its nn.LSTM in self.lstm.\n"
             f"  Fix:  {FIX_LSTM}")
    _require(lstm.bidirectional,
             "self.lstm reads one direction only: it was built without bidirectional=True.\n"
             f"  Fix:  {FIX_LSTM}")
    _require((lstm.input_size, lstm.hidden_size, lstm.num_layers, lstm.proj_size) == (emb_dim, hidden, num_layers, 0),
             f"self.lstm is {lstm},\n  but it should read emb_dim={emb_dim} features, with "
             f"hidden_size={hidden}, num_layers={num_layers} and no proj_size.\n"
             f"  Fix:  {FIX_LSTM}")
    _require(isinstance(head, nn.Linear),
             "BiClassifier should keep its nn.Linear in self.head.\n"
             f"  Fix:  {FIX_HEAD}")
    if head.in_features != 2 * hidden:
        if head.in_features == hidden:
            try:
                head(torch.zeros(batch, 2 * hidden, dtype=head.weight.dtype, device=head.weight.device))
                says = ""
            except RuntimeError as err:
                says = f" On that vector,\n  PyTorch says: {err}"
            raise _fail(
                f"self.head is nn.Linear({hidden}, {head.out_features}): it reads hidden={hidden} numbers,\n"
                f"  but the sentence vector of a bidirectional LSTM has 2 x hidden = {2 * hidden}, "
                f"forward and\n  backward.{says}\n"
                f"  Fix:  {FIX_HEAD}"
            )
        raise _fail(
            f"self.head reads {head.in_features} numbers, but the sentence vector of a bidirectional "
            f"LSTM\n  has 2 x hidden = {2 * hidden}: the top layer's forward and backward final states.\n"
            f"  Fix:  {FIX_HEAD}"
        )
    _require(head.out_features == classes,
             f"self.head gives {head.out_features} numbers per sentence, but there are {classes} classes.\n"
             f"  Fix:  {FIX_HEAD}")
    return embedding, lstm, head


def _run_classifier(model, head, ids):
    """model(ids) in eval mode, recording what self.head was fed; (logits, fed, a RuntimeError or None)."""
    __tracebackhide__ = True
    logits = None
    fed = []
    hook = head.register_forward_pre_hook(lambda module, inputs: fed.append(inputs[0].detach()))
    was_training = model.training
    model.eval()
    error = None
    given = ids.clone()
    kept = keep(ids=given)
    try:
        with calling("BiClassifier.forward"), torch.no_grad():
            logits = model(given)
    except RuntimeError as err:
        error = err
    finally:
        hook.remove()
        model.train(was_training)
    require_unchanged("BiClassifier.forward(ids)", kept, ids=given)
    return logits, fed, error


def _explain_head_input(fed, error, lstm, h_n, out_bf, batch, seq, hidden, num_layers) -> None:
    """The head read something else than the sentence vector: say what, from its values and shape."""
    __tracebackhide__ = True
    fed = fed.to(h_n.device, h_n.dtype)
    shape = tuple(fed.shape)
    says = f"\n  PyTorch says: {error}" if error is not None else ""
    fed_to = "BiClassifier.forward() fed the head"
    if fed.dim() == 2 and shape[0] == seq and seq != batch:
        if not lstm.batch_first:
            raise _fail(
                "self.lstm read the batch as the steps:\n"
                f"  its h_n has {seq} sequences, not {batch}. ids are (batch, seq), so the embedding "
                "gives\n  (batch, seq, emb); an nn.LSTM without batch_first reads (seq, batch, feature)."
                + says + f"\n  Fix:  {FIX_LSTM}"
            )
        raise _fail(
            f"{fed_to} one row per step, shape {fmt(shape)}:\n"
            "  out[-1] of a batch_first out is the last SEQUENCE, with all its steps." + says
            + f"\n  Fix:  {FIX_SENTENCE}"
        )
    for value, message in _head_input_mistakes(fed_to, h_n, out_bf, shape, batch, hidden, num_layers):
        if close(fed, value):
            raise _fail(message + says + f"\n  Fix:  {FIX_SENTENCE}")
    raise _fail(
        f"{fed_to} a tensor of shape {fmt(shape)} that is not\n"
        f"  the sentence vector torch.cat([h_n[-2], h_n[-1]], dim=-1), (batch={batch}, "
        f"2 x hidden={2 * hidden})." + says + f"\n  Fix:  {FIX_SENTENCE}"
    )


def _head_input_mistakes(fed_to, h_n, out_bf, shape, batch, hidden, num_layers) -> list:
    """(tensor, message) pairs: what the head reads when the sentence vector is taken wrong."""
    candidates = [
        (h_n[-1], f"{fed_to} h_n[-1] alone,\n"
                  f"  (batch={batch}, hidden={hidden}): the top layer's BACKWARD direction only. The head "
                  "wants\n  both directions side by side, (batch, 2 x hidden)."),
        (h_n[-2], f"{fed_to} h_n[-2] alone,\n"
                  f"  (batch={batch}, hidden={hidden}): the top layer's forward direction only. The head "
                  "wants\n  both directions side by side, (batch, 2 x hidden)."),
        (out_bf[:, -1], f"{fed_to} out[:, -1], the last step:\n"
                        "  its backward half has read ONE step (the last word): the backward direction "
                        "ends\n  at step 0, not at the last step."),
        (out_bf[:, 0], f"{fed_to} out[:, 0], the first step:\n"
                       "  its forward half has read one step only: the forward direction ends at the "
                       "last\n  step, not at step 0."),
        (h_n[-2:].reshape(batch, -1),
         f"{fed_to} h_n[-2:] reshaped with view:\n"
         "  the right numbers in the wrong rows. view reads (directions, batch, hidden) in memory\n"
         "  order, so row 0 gets sequence 0's forward state followed by sequence 1's."),
        (h_n.reshape(batch, -1),
         f"{fed_to} h_n reshaped with view to (batch, -1):\n"
         "  view reads (layers x directions, batch, hidden) in memory order and mixes the rows\n"
         "  of different sequences; it also keeps every layer."),
        (torch.cat([h_n[-1], h_n[-2]], dim=-1),
         f"{fed_to} the final states in the wrong order:\n"
         "  backward first. Keep the order of out: forward, then backward."),
        (h_n.transpose(0, 1).reshape(batch, -1),
         f"{fed_to} every row of h_n, all {num_layers} layers:\n"
         f"  shape {fmt(shape)}. The top layer's rows are h_n[-2] (forward) and h_n[-1] (backward)."),
    ]
    if num_layers > 1:
        candidates.append((torch.cat([h_n[0], h_n[1]], dim=-1),
                           f"{fed_to} rows 0 and 1 of h_n:\n"
                           f"  those are LAYER 0 of {num_layers}. The top layer's rows are the last two, "
                           "whatever\n  num_layers is: h_n[-2] and h_n[-1]."))
    return candidates


# --- exercise 4: split_bidirectional ----------------------------------------------------------------

FIX_COPY = "getattr(single, f'{name}_l0').copy_(getattr(bi, f'{name}_l{l}{suffix}'))"
FIX_SIZE = "size = bi.input_size if l == 0 else 2 * bi.hidden_size    for nn.LSTM(size, ...)"


def check_split_bidirectional(split_bidirectional, **kwargs) -> None:
    """split_bidirectional(bi) -> (layers_fw, layers_bw): one-layer LSTMs holding copies of bi's weights."""
    __tracebackhide__ = True
    runs = _runs(kwargs, dict(num_layers=2, feature=3, hidden=4, batch_first=False, seq=5, batch=2, seed=0), [
        dict(),
        dict(num_layers=3, feature=2, hidden=3, batch_first=True),
        dict(num_layers=1, feature=5, hidden=2, batch_first=True),
    ])
    for cfg in runs:
        _check_one_split(split_bidirectional, cfg)
    passed("split_bidirectional: *_l{l} forward, *_l{l}_reverse backward "
           f"({', '.join(str(c['num_layers']) for c in runs)} layers)")


def _check_one_split(split_bidirectional, cfg) -> None:
    __tracebackhide__ = True
    num_layers, hidden, bf = cfg["num_layers"], cfg["hidden"], cfg["batch_first"]
    bi = _bi(cfg, 91)
    before = {k: v.clone() for k, v in bi.state_dict().items()}
    call = "split_bidirectional(bi)"
    try:
        with seeded(_seed(cfg, 92)), calling("split_bidirectional"):
            result = split_bidirectional(bi)
    except (AttributeError, RuntimeError) as err:
        _explain_split_error(err, call, hidden)
    ok = (isinstance(result, (tuple, list)) and len(result) == 2
          and all(isinstance(r, (list, tuple, nn.ModuleList)) for r in result))
    _require(ok, f"{call} should return two lists of one-layer LSTMs,\n"
                 f"  (layers_fw, layers_bw), but it returned "
                 f"{'None' if result is None else 'a ' + type(result).__name__}.\n"
                 "  Fix:  return layers_fw, layers_bw")
    for d, layers in enumerate(result):
        _require(len(layers) == num_layers,
                 f"{call}: layers_{'fw' if d == 0 else 'bw'} holds {len(layers)} LSTMs,\n"
                 f"  but bi has {_layers_text(num_layers)}: one one-layer LSTM per layer and direction.\n"
                 "  Fix:  for l in range(bi.num_layers):  append one LSTM to each of the two lists")
    changed = [k for k, v in bi.state_dict().items() if not torch.equal(v, before[k])]
    _require(not changed,
             f"{call} changed bi: {', '.join(changed[:2])} now hold other numbers.\n"
             "  The copy goes one way only: from bi into the one-layer LSTMs.\n"
             f"  Fix:  {FIX_COPY}")
    for layer in range(num_layers):
        for d in range(2):
            label = f"layers_{'fw' if d == 0 else 'bw'}[{layer}]"
            _check_single(result[d][layer], label, call, bi, layer, d, before, cfg)
    # the numbers are right; the modules must also compute with them: layer 0 against bi's layer 0
    x = _input(cfg, 93)
    t = 1 if bf else 0
    with torch.no_grad():
        want, _ = _truncated(bi, 1)(x)
        got_fw, _ = result[0][0](x)
        got_bw, _ = result[1][0](x.flip(t))
    _require(close(got_fw, want[..., :hidden]) and close(got_bw.flip(t), want[..., hidden:]),
             f"{call}: the LSTMs hold the right numbers,\n  but they do not compute with them. "
             "nn.LSTM reads its weights through its registered\n  parameters: copy into them in place.\n"
             f"  Fix:  {FIX_COPY}")


def _explain_split_error(err, call, hidden) -> None:
    """split_bidirectional raised: a parameter name that does not exist, a copy under autograd, a shape."""
    __tracebackhide__ = True
    if isinstance(err, AttributeError):
        if "_l" not in str(err):
            raise err
        raise _fail(
            f"{call} asked for a parameter that does not exist:\n  {err}.\n"
            "  bi names layer l's tensors weight_ih_l{l} (forward) and weight_ih_l{l}_reverse\n"
            "  (backward); a one-layer, one-direction nn.LSTM has only the four ending in _l0.\n"
            f"  Fix:  {FIX_COPY}"
        ) from None
    msg = str(err)
    if "leaf Variable" in msg:
        raise _fail(
            f"{call} wrote into a parameter while autograd was recording:\n"
            f"  PyTorch says: {msg}\n"
            "  Copy with gradient tracking off, inside  with torch.no_grad():\n"
            f"  Fix:  {FIX_COPY}"
        ) from None
    if "must match the size" in msg:
        raise _fail(
            f"{call} copied a tensor of the wrong shape:\n"
            f"  PyTorch says: {msg}\n"
            "  Layer l > 0 reads the output of layer l - 1, BOTH directions side by side:\n"
            f"  2 x hidden = {2 * hidden} features, so its weight_ih is (4 x hidden, 2 x hidden) = "
            f"({4 * hidden}, {2 * hidden}).\n"
            f"  Fix:  {FIX_SIZE}"
        ) from None
    raise err


def _check_single(single, label, call, bi, layer, d, before, cfg) -> None:
    __tracebackhide__ = True
    hidden, feature, bf = cfg["hidden"], cfg["feature"], cfg["batch_first"]
    _require(isinstance(single, nn.LSTM),
             f"{call}: {label} should be an nn.LSTM, but it is a {type(single).__name__}.")
    _require(single.num_layers == 1 and not single.bidirectional and single.proj_size == 0,
             f"{call}: {label} should be a plain one-layer,\n  one-direction nn.LSTM, but it is "
             f"{single}.\n  Fix:  nn.LSTM(size, bi.hidden_size, batch_first=bi.batch_first)")
    want_in = feature if layer == 0 else 2 * hidden
    if single.input_size != want_in:
        if layer > 0 and single.input_size == hidden:
            raise _fail(
                f"{call}: {label} reads input_size={hidden},\n"
                f"  but layer {layer} reads the output of layer {layer - 1} in BOTH directions, side by "
                f"side:\n  2 x hidden = {2 * hidden} features.\n"
                f"  Fix:  {FIX_SIZE}"
            )
        reads = f"x, {feature} features" if layer == 0 else f"2 x hidden = {2 * hidden} features"
        raise _fail(
            f"{call}: {label} reads input_size={single.input_size},\n  but layer {layer} reads {reads}.\n"
            f"  Fix:  {FIX_SIZE}"
        )
    _require(single.hidden_size == hidden,
             f"{call}: {label} has hidden_size={single.hidden_size},\n  but bi has hidden_size={hidden}.\n"
             f"  Fix:  {FIX_SIZE}")
    _require(single.batch_first == bf,
             f"{call}: {label} has batch_first={single.batch_first},\n"
             f"  but bi has batch_first={bf}: it would read x in another layout than bi does.\n"
             "  Fix:  nn.LSTM(size, bi.hidden_size, batch_first=bi.batch_first)")
    for name in PARAMS:
        _check_single_param(single, name, label, call, bi, layer, d, before)


def _check_single_param(single, name, label, call, bi, layer, d, before) -> None:
    """{label}.{name}_l0 is a copy of bi's {name} of that layer and direction; else whose it holds."""
    __tracebackhide__ = True
    suffix = SUFFIXES[d]
    got = getattr(single, f"{name}_l0")
    source = getattr(bi, f"{name}_l{layer}{suffix}")
    want = before[f"{name}_l{layer}{suffix}"]
    _require(got.data_ptr() != source.data_ptr(),
             f"{call}: {label}.{name}_l0\n  is the very same tensor as bi.{name}_l{layer}{suffix}, "
             "not a copy:\n  training either model would change the other. Copy the numbers, "
             "inside  with torch.no_grad():\n"
             f"  Fix:  {FIX_COPY}")
    if got.shape == want.shape and torch.equal(got, want):
        return
    other = before.get(f"{name}_l{layer}{SUFFIXES[1 - d]}")
    if other is not None and got.shape == other.shape and torch.equal(got, other):
        if d == 1:
            raise _fail(
                f"{call}: {label}.{name}_l0 holds bi.{name}_l{layer},\n"
                "  the FORWARD direction's weights. The backward direction has weights of its own,\n"
                f"  named with _reverse: bi.{name}_l{layer}_reverse.\n"
                "  Fix:  getattr(single, f'{name}_l0').copy_(getattr(bi, f'{name}_l{l}_reverse'))"
            )
        raise _fail(
            f"{call}: {label}.{name}_l0 holds bi.{name}_l{layer}_reverse,\n"
            "  the BACKWARD direction's weights. The forward direction's have no suffix: "
            f"bi.{name}_l{layer}.\n"
            "  Fix:  getattr(single, f'{name}_l0').copy_(getattr(bi, f'{name}_l{l}'))"
        )
    layers = [j for j in range(bi.num_layers) if j != layer
              and got.shape == before[f"{name}_l{j}{suffix}"].shape
              and torch.equal(got, before[f"{name}_l{j}{suffix}"])]
    if layers:
        raise _fail(
            f"{call}: {label}.{name}_l0 holds bi.{name}_l{layers[0]}{suffix},\n"
            f"  the weights of layer {layers[0]}, not of layer {layer}.\n"
            f"  Fix:  {FIX_COPY}"
        )
    what = "the biases were" if name.startswith("bias") else f"{name} was"
    raise _fail(
        f"{call}: {label}.{name}_l0\n  does not hold bi.{name}_l{layer}{suffix}: {what} not copied. "
        f"A direction of a layer is\n  FOUR tensors: {', '.join(PARAMS)}.\n"
        f"  Fix:  {FIX_COPY}"
    )


# --- exercise 5: manual_bidirectional ---------------------------------------------------------------

FIX_FLIP = "out_bw, (h_bw, c_bw) = bw(out.flip(t), state_bw);  out_bw = out_bw.flip(t)"
FIX_STATE = "state_fw = (h0[r:r + 1], c0[r:r + 1])    with r = 2 * l;  r = 2 * l + 1 for bw"
FIX_ROWS = "h_list += [h_fw, h_bw]  for each layer, then torch.cat(h_list, dim=0)"
FIX_JOIN = "out = torch.cat([out_fw, out_bw.flip(t)], dim=-1)"


def _singles(bi: nn.LSTM) -> tuple[list[nn.LSTM], list[nn.LSTM]]:
    """The check's own split of bi into one-layer LSTMs (never the learner's)."""
    result = ([], [])
    for layer in range(bi.num_layers):
        size = bi.input_size if layer == 0 else 2 * bi.hidden_size
        for d in range(2):
            single = seeded_lstm(size, bi.hidden_size, batch_first=bi.batch_first)
            copy_layer_weights(single, bi, layer, SUFFIXES[d])
            result[d].append(single)
    return result


def _simulate(layers_fw, layers_bw, x, state, batch_first, bug):
    """What a manual bidirectional stack with one known mistake returns: the values a message explains.

    (The checks compare with nn.LSTM itself; this only says which mistake explains a difference.)
    """
    steps = 1 if batch_first else 0
    flip = (0 if batch_first else 1) if bug == "flip_batch" else steps
    num_layers = len(layers_fw)
    out, h_list, c_list = x, [], []
    for layer, (fw, bw) in enumerate(zip(layers_fw, layers_bw)):
        rows = {"state_blocks": (layer, num_layers + layer),
                "state_swapped": (2 * layer + 1, 2 * layer)}.get(bug, (2 * layer, 2 * layer + 1))
        if state is None or bug == "state_ignored":
            s_fw = s_bw = None
        else:
            s_fw, s_bw = ((state[0][r:r + 1], state[1][r:r + 1]) for r in rows)
        out_fw, (h_fw, c_fw) = fw(out, s_fw)
        out_bw, (h_bw, c_bw) = bw(out if bug in ("no_flip_in", "no_flip") else out.flip(flip), s_bw)
        if bug not in ("no_flip_out", "no_flip"):
            out_bw = out_bw.flip(flip)
        out = torch.cat([out_bw, out_fw] if bug == "order" else [out_fw, out_bw], dim=-1)
        h_list += [h_fw, h_bw]
        c_list += [c_fw, c_bw]
    return out, torch.cat(h_list), torch.cat(c_list), out_bw


def check_manual_bidirectional(manual_bidirectional, **kwargs) -> None:
    """manual_bidirectional(layers_fw, layers_bw, x, state=None) == nn.LSTM(bidirectional=True, num_layers=k)."""
    __tracebackhide__ = True
    runs = _runs(kwargs, dict(num_layers=2, seq=6, batch=3, feature=2, hidden=4, batch_first=False,
                              with_state=True, seed=0), [
        dict(),
        dict(seq=5, batch=2, feature=3, hidden=3, batch_first=True),
        dict(num_layers=1, seq=4, batch=3, feature=2, hidden=6, batch_first=True, with_state=False),
    ])
    for cfg in runs:
        _check_one_manual(manual_bidirectional, cfg)
    passed("manual_bidirectional == nn.LSTM(bidirectional=True): out, h_n, c_n "
           f"({len(runs)} run{'s' if len(runs) > 1 else ''})")


def _clone(m: nn.LSTM) -> nn.LSTM:
    twin = seeded_lstm(m.input_size, m.hidden_size, batch_first=m.batch_first)
    twin.load_state_dict(m.state_dict())
    return twin


def _check_one_manual(manual_bidirectional, cfg) -> None:
    __tracebackhide__ = True
    num_layers, seq, batch = cfg["num_layers"], cfg["seq"], cfg["batch"]
    feature, hidden, bf, with_state = cfg["feature"], cfg["hidden"], cfg["batch_first"], cfg["with_state"]
    bi = _bi(cfg, 101)
    layers_fw, layers_bw = _singles(bi)
    x = _input(cfg, 102)
    state = None
    if with_state:
        state = (seeded_randn(2 * num_layers, batch, hidden, seed=_seed(cfg, 103)),
                 seeded_randn(2 * num_layers, batch, hidden, seed=_seed(cfg, 104)))
    with torch.no_grad():
        ref_out, (ref_h, ref_c) = bi(x, state)
    fn = f"manual_bidirectional ({_config_text(cfg)})"
    given_fw, given_bw = [_clone(m) for m in layers_fw], [_clone(m) for m in layers_bw]
    given = {"x": x.clone()}
    if state is not None:
        given.update(h0=state[0].clone(), c0=state[1].clone())
    kept = keep(**given)
    try:
        with calling("manual_bidirectional"), torch.no_grad():
            if state is None:
                result = manual_bidirectional(given_fw, given_bw, given["x"])
            else:
                result = manual_bidirectional(given_fw, given_bw, given["x"], (given["h0"], given["c0"]))
    except RuntimeError as err:
        _explain_runtime_error(err, fn, feature, hidden)
    require_unchanged(fn, kept, **given)
    for label, mine, theirs in (("layers_fw", layers_fw, given_fw), ("layers_bw", layers_bw, given_bw)):
        for layer, (a, b) in enumerate(zip(mine, theirs)):
            changed = [k for k, v in a.state_dict().items() if not torch.equal(v, b.state_dict()[k])]
            _require(not changed,
                     f"{fn} changed the weights of {label}[{layer}]\n  ({', '.join(changed[:2])}): "
                     "it should only run the LSTMs it is given.\n"
                     "  Fix:  out_fw, (h_fw, c_fw) = fw(out, state_fw)    run each LSTM; write into none")
    out, h_n, c_n = _unpack(result, fn)
    spec = "batch seq hidden" if bf else "seq batch hidden"
    if tuple(out.shape) == tuple(ref_out.shape[:-1]) + (hidden,):
        raise _fail(
            f"out of {fn} has {hidden} numbers per step:\n"
            f"  one direction only. A bidirectional layer puts both side by side: 2 x hidden = "
            f"{2 * hidden}.\n"
            f"  Fix:  {FIX_JOIN}"
        )
    check_shape(out, spec, batch=batch, seq=seq, hidden=2 * hidden, name="out")
    for name, t in (("h_n", h_n), ("c_n", c_n)):
        _check_state_shape(t, name, fn, num_layers, batch, hidden)
    out, h_n, c_n = (t.detach().to(ref_out.device, ref_out.dtype) for t in (out, h_n, c_n))
    if not close(out, ref_out):
        _explain_out(out, fn, layers_fw, layers_bw, x, state, cfg, h_n, ref_h)
    _explain_states(h_n, c_n, ref_h, ref_c, fn, num_layers, layers_fw, layers_bw, x, state, bf)


def _explain_runtime_error(err: RuntimeError, fn: str, feature: int, hidden: int) -> None:
    __tracebackhide__ = True
    msg = str(err)
    if f"Expected {2 * hidden}, got {hidden}" in msg:
        raise _fail(
            f"{fn} gave a layer above 0\n  one direction's output only, {hidden} features.\n"
            f"  PyTorch says: {msg}\n"
            f"  Layer l + 1 reads BOTH directions of layer l side by side: 2 x hidden = {2 * hidden}.\n"
            f"  Fix:  {FIX_JOIN}    the next layer reads out"
        ) from None
    if f"Expected {2 * hidden}, got {feature}" in msg:
        raise _fail(
            f"{fn} gave x to a layer above 0.\n"
            f"  PyTorch says: {msg}\n"
            "  Layer 0 reads x; layer l + 1 reads layer l's output, both directions: 2 x hidden.\n"
            f"  Fix:  {FIX_JOIN}    the next layer reads out"
        ) from None
    if "Expected hidden[0] size" in msg or "should also be 3-D" in msg or "Expected hidden[1] size" in msg:
        raise _fail(
            f"{fn} gave a one-layer LSTM\n  an initial state of the wrong shape.\n"
            f"  PyTorch says: {msg}\n"
            "  Each one-layer LSTM takes ONE row of h0 and of c0, kept 3-D: (1, batch, hidden);\n"
            "  layer l's forward direction is row 2 * l, its backward direction row 2 * l + 1.\n"
            "  Fix:  fw(out, (h0[2 * l:2 * l + 1], c0[2 * l:2 * l + 1]))"
        ) from None
    raise err


def _unpack(result, fn):
    __tracebackhide__ = True
    parts = lstm_result_parts(result)
    _require(parts is not None, f"{fn} should return what nn.LSTM returns,\n  out, (h_n, c_n), but it returned "
                 f"{'None' if result is None else 'a ' + type(result).__name__}.\n"
                 "  Fix:  return out, (h_n, c_n)")
    out, h_n, c_n = parts
    require_tensor(out, "out")
    for name, t in (("h_n", h_n), ("c_n", c_n)):
        if tensor_list(t):
            raise _fail(
                f"{name} of {fn} is a Python {type(t).__name__}\n  of {len(t)} tensors, not joined yet.\n"
                f"  Fix:  torch.cat(list_of_{name}, dim=0)     -> (layers x 2, batch, hidden)"
            )
        require_tensor(t, name)
    return out, h_n, c_n


def _check_state_shape(t, name, fn, num_layers, batch, hidden) -> None:
    __tracebackhide__ = True
    rows = 2 * num_layers
    want = f"(layers x 2 = {rows}, batch={batch}, hidden={hidden})"
    shape = tuple(t.shape)
    if t.dim() == 4 and shape[1] == 1:
        raise _fail(
            f"{name} of {fn} has 4 axes, {fmt(shape)}:\n"
            f"  torch.stack added an axis, but each direction's {name[0]} is already (1, batch, hidden).\n"
            f"  Fix:  torch.cat(list_of_{name}, dim=0)     -> {want}"
        )
    if shape == (num_layers, batch, 2 * hidden):
        raise _fail(
            f"{name} of {fn} is {fmt(shape)}:\n"
            "  the two directions were joined along the hidden axis. nn.LSTM gives one ROW per layer\n"
            f"  and direction: {name}[2 * l + d].\n"
            f"  Fix:  {FIX_ROWS}"
        )
    if num_layers > 1 and shape == (2, batch, hidden):
        raise _fail(
            f"{name} of {fn} is {fmt(shape)}:\n"
            f"  the top layer only, but there are {num_layers} layers. nn.LSTM returns the final state "
            f"of\n  every layer and direction, {want}.\n"
            f"  Fix:  {FIX_ROWS}"
        )
    check_shape(t, "layers batch hidden", layers=rows, batch=batch, hidden=hidden, name=name)


def _explain_out(out, fn, layers_fw, layers_bw, x, state, cfg, h_n, ref_h) -> None:
    __tracebackhide__ = True
    bf, num_layers = cfg["batch_first"], cfg["num_layers"]
    differs = f"{fn}: out differs from nn.LSTM's:\n"
    messages = _out_messages(fn, bf)
    bugs = ["no_flip_in", "no_flip_out", "no_flip", "order"]
    bugs += ["flip_batch"] if cfg["batch"] > 1 else []
    if state is not None:
        bugs += ["state_ignored", "state_swapped"] + (["state_blocks"] if num_layers > 1 else [])
    with torch.no_grad():
        for bug in bugs:
            alt_out = _simulate(layers_fw, layers_bw, x, state, bf, bug)[0]
            if close(out, alt_out):
                raise _fail(messages[bug])
    bad = [r for r in range(2 * num_layers) if not close(h_n[r], ref_h[r])]
    if bad:
        r = bad[0]
        below = "" if r < 2 else f" (it reads layer {r // 2 - 1}'s out, both directions)"
        raise _fail(
            differs + f"  the first row of h_n that differs is h_n[{r}], layer {r // 2}'s "
            f"{DIRECTIONS[r % 2]} direction{below}.\n"
            f"  Fix:  {FIX_FLIP}"
        )
    raise _fail(
        f"h_n of {fn} is right, but out differs:\n"
        "  out should be the top layer's output, both directions side by side at every step, the\n"
        "  backward one flipped back.\n"
        f"  Fix:  {FIX_JOIN}"
    )


def _out_messages(fn, bf) -> dict:
    """{bug: message} for each mistake _simulate knows, as the learner reads it."""
    differs = f"{fn}: out differs from nn.LSTM's:\n"
    return {
        "no_flip_in": (
            differs + "  the backward LSTM read x from the first step, as the forward one does. It must "
            "read\n  the steps in reverse order, from the last to the first.\n"
            f"  Fix:  {FIX_FLIP}"),
        "no_flip_out": (
            differs + "  the backward outputs were not flipped back, so out[t] holds the backward "
            "direction's\n  output for step seq - 1 - t, not for step t.\n"
            f"  Fix:  {FIX_FLIP}"),
        "no_flip": (
            differs + "  the backward LSTM read x as it is, from the first step: that makes it a second "
            "forward\n  LSTM. Flip the steps going in, and flip its outputs back.\n"
            f"  Fix:  {FIX_FLIP}"),
        "flip_batch": (
            differs + "  the flip reversed the order of the SEQUENCES, not of the steps. The steps are "
            f"axis {1 if bf else 0}\n  here: t = 1 if layers_fw[0].batch_first else 0.\n"
            f"  Fix:  {FIX_FLIP}"),
        "order": (
            differs + "  the two directions are in the wrong order, backward first. nn.LSTM puts the "
            "forward\n  direction in out[..., :hidden], the backward one in out[..., hidden:].\n"
            f"  Fix:  {FIX_JOIN}"),
        "state_blocks": (
            differs + "  the rows of (h0, c0) were read as [all forward, then all backward]. The initial "
            "state\n  has the layout of h_n: layer l's forward direction is row 2 * l, its backward "
            "one\n  row 2 * l + 1.\n"
            f"  Fix:  {FIX_STATE}"),
        "state_swapped": (
            differs + "  each forward LSTM started from its backward direction's row of (h0, c0), and "
            "the\n  backward from the forward's. Forward is row 2 * l, backward row 2 * l + 1.\n"
            f"  Fix:  {FIX_STATE}"),
        "state_ignored": (
            f"{fn}: out is what the LSTMs give from zeros:\n"
            "  the state (h0, c0) was ignored. Layer l's forward LSTM starts from row 2 * l, its\n"
            "  backward LSTM from row 2 * l + 1.\n"
            f"  Fix:  {FIX_STATE}"),
    }


def _explain_states(h_n, c_n, ref_h, ref_c, fn, num_layers, layers_fw, layers_bw, x, state, bf) -> None:
    __tracebackhide__ = True
    rows = 2 * num_layers
    blocks = [2 * j for j in range(num_layers)] + [2 * j + 1 for j in range(num_layers)]
    pairs = [r + 1 if r % 2 == 0 else r - 1 for r in range(rows)]
    if close(h_n, ref_c) and not close(h_n, ref_h):
        raise _fail(
            f"h_n of {fn} holds the cell states.\n"
            "  Each LSTM returns out, (h, c): h first, then c.\n"
            "  Fix:  out_fw, (h_fw, c_fw) = fw(out, state_fw)    then h_fw into h_n, c_fw into c_n"
        )
    for name, got, want in (("h_n", h_n, ref_h), ("c_n", c_n, ref_c)):
        if close(got, want):
            continue
        if num_layers > 1 and close(got, want[blocks]):
            raise _fail(
                f"the rows of {name} of {fn}\n"
                "  are [all forward layers, then all backward layers]. nn.LSTM interleaves them:\n"
                "  row 2 * layer + direction, so row 1 is layer 0's backward direction.\n"
                f"  Fix:  {FIX_ROWS}"
            )
        if close(got, want[pairs]):
            raise _fail(
                f"the rows of {name} of {fn}\n"
                "  put each layer's backward direction first. Row 2 * l is layer l's forward direction,\n"
                "  row 2 * l + 1 its backward direction.\n"
                f"  Fix:  {FIX_ROWS}"
            )
        for r in range(rows):
            if close(got[r], want[r]):
                continue
            layer, d = r // 2, r % 2
            if name == "h_n" and d == 1:
                with torch.no_grad():
                    below = _simulate(layers_fw[:layer + 1], layers_bw[:layer + 1], x,
                                      None if state is None else tuple(s[:2 * layer + 2] for s in state),
                                      bf, None)
                out_bw = below[3]                            # layer `layer`'s backward output, flipped back
                if close(got[r], out_bw[:, -1] if bf else out_bw[-1]):
                    raise _fail(
                        f"h_n[{r}] of {fn} holds layer {layer}'s backward output\n"
                        "  at the LAST step of x, after it had read one step. The backward direction "
                        "ends at\n  step 0: its final state is the h its LSTM returns.\n"
                        "  Fix:  out_bw, (h_bw, c_bw) = bw(out.flip(t), state_bw)    and keep h_bw"
                    )
            raise _fail(
                f"{name}[{r}] of {fn} should be the final {'hidden' if name == 'h_n' else 'cell'} state\n"
                f"  of layer {layer}'s {DIRECTIONS[d]} direction, as in nn.LSTM(bidirectional=True), but "
                "it holds\n  other numbers.\n"
                f"  Fix:  {FIX_ROWS}"
            )
