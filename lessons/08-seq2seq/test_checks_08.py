"""The checks of notebook 08 (sequence to sequence): right answers pass, realistic wrong answers fail
with a message that names the mistake and the fix, and every wrong answer of the grading tests is
caught by the visible check alone. Pins the wording the learner reads. No nbgrader."""

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_utils import data, heldout
from course_utils.checks import nb08
from course_utils.checks.common import CheckFailed, NotDoneYet
from course_utils.grading.lessons import mistakes, solution

# the right answers: the instructor's own, the solution notebook's answer cells
_s = solution("08")
decoder_inputs = _s["decoder_inputs"]
attention = _s["attention"]
sequence_loss = _s["sequence_loss"]
greedy_decode = _s["greedy_decode"]


def not_done(*args, **kwargs):
    raise NotImplementedError()


def message(check, fn, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(fn, **kwargs)
    text = str(info.value)
    long = [line for line in text.splitlines() if len(line) > 88]
    assert not long, f"lines over 88 characters: {long}"
    return text


# --- exercise 1: decoder_inputs ------------------------------------------------------------------


def decoder_inputs_pad(targets, sos_id):
    return F.pad(targets[:, :-1], (1, 0), value=sos_id)


def decoder_inputs_roll(targets, sos_id):
    shifted = targets.roll(1, dims=1)
    shifted[:, 0] = sos_id
    return shifted


@pytest.mark.parametrize("fn", [decoder_inputs, decoder_inputs_pad, decoder_inputs_roll])
@pytest.mark.parametrize("kwargs", [
    {},
    {"configs": (dict(batch=6, seq=11, sos_id=2), dict(batch=1, seq=3, sos_id=4),
                 dict(batch=5, seq=2, sos_id=13)), "seed": 7},
    {"configs": (dict(batch=3, seq=5, sos_id=6),), "pad_id": 8, "seed": 3}])
def test_decoder_inputs_right(fn, kwargs, capsys):
    nb08.check_decoder_inputs(fn, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED decoder_inputs")


@pytest.mark.parametrize("fn, words", [
    (lambda t, s: t, ["returned the targets unshifted", "learn to copy", "Fix:  torch.cat("]),
    (lambda t, s: torch.cat([t[:, 1:], torch.full_like(t[:, :1], s)], dim=1),
     ["shifted the targets to the LEFT", "from the future"]),
    (lambda t, s: torch.cat([t[:, 1:], torch.zeros_like(t[:, :1])], dim=1), ["to the LEFT"]),
    (lambda t, s: torch.cat([torch.full_like(t[:, :1], 2), t[:, :-1]], dim=1),
     ["column 0 of inputs holds [2]", "sos_id=5", "a fixed number is caught"]),
    (lambda t, s: torch.cat([torch.full_like(t[:, :1], s), t], dim=1),
     ["seq=7 columns, one more than targets", "the last target token drops out"]),
    (lambda t, s: t[:, :-1], ["seq=5 columns, one fewer than targets"]),
    (lambda t, s: torch.cat([torch.full_like(t[:1], s), t[:-1]], dim=0),
     ["shifted the rows (the batch axis, axis 0)"]),
    (lambda t, s: torch.cat([torch.full_like(t[:1], s), t], dim=0), ["the shift ran along the batch axis"]),
    (lambda t, s: torch.cat([torch.full((t.size(0), 1), float(s)), t[:, :-1].float()], dim=1),
     ["torch.float32 numbers", "integer token ids"]),
    (lambda t, s: torch.cat([torch.full((t.size(0), 1), s), t[:, :-1]], dim=1),
     ["makes a tensor on the CPU whatever device", "'meta' device", "full_like(targets[:, :1], sos_id)"]),
])
def test_decoder_inputs_wrong(fn, words):
    msg = message(nb08.check_decoder_inputs, fn)
    for w in words:
        assert w in msg, msg
    assert "Fix:  " in msg.splitlines()[-1]


def test_decoder_inputs_in_place():
    def f(targets, sos_id):
        targets[:, 1:] = targets[:, :-1].clone()
        targets[:, 0] = sos_id
        return targets
    assert "changed `targets` in place" in message(nb08.check_decoder_inputs, f)


def test_decoder_inputs_fix_line_runs(capsys):
    fix = "torch.cat([torch.full_like(targets[:, :1], sos_id), targets[:, :-1]], dim=1)"
    msg = message(nb08.check_decoder_inputs, lambda t, s: t)
    assert msg.splitlines()[-1] == f"  Fix:  {fix}"
    nb08.check_decoder_inputs(eval(f"lambda targets, sos_id: {fix}"))
    assert "PASSED" in capsys.readouterr().out


def test_decoder_inputs_not_done():
    with pytest.raises(NotDoneYet, match="decoder_inputs"):
        nb08.check_decoder_inputs(not_done)


# --- exercise 2: attention -----------------------------------------------------------------------


def attention_large_negative(query, keys, mask):
    scores = torch.bmm(query, keys.transpose(1, 2))
    weights = torch.softmax(scores.masked_fill(mask.unsqueeze(1) == 0, -1e9), dim=2)
    return torch.bmm(weights, keys), weights


def attention_renormalised(query, keys, mask):
    weights = (query @ keys.transpose(1, 2)).softmax(dim=-1) * mask[:, None, :]
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights @ keys, weights


def attention_einsum(query, keys, mask):
    scores = torch.einsum("bth,bsh->bts", query, keys).masked_fill(~mask.unsqueeze(1), -math.inf)
    weights = F.softmax(scores, dim=-1)
    return torch.einsum("bts,bsh->bth", weights, keys), weights


@pytest.mark.parametrize("fn", [attention, attention_large_negative, attention_renormalised, attention_einsum])
@pytest.mark.parametrize("kwargs", [
    {},
    {"configs": (dict(batch=5, steps=3, src=8, hidden=2), dict(batch=1, steps=1, src=1, hidden=3),
                 dict(batch=3, steps=5, src=5, hidden=6)), "seed": 11},
    {"configs": (dict(batch=2, steps=11, src=27, hidden=64),), "seed": 5}])
def test_attention_right(fn, kwargs, capsys):
    nb08.check_attention(fn, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED attention")


def attention_variant(*, mask_fill="before", fill=float("-inf"), mask_index=(slice(None), None, slice(None)),
                      invert=False, dim=-1, scale=False, order="context_first", context_from="keys"):
    def f(query, keys, mask):
        scores = query @ keys.transpose(1, 2)
        if scale:
            scores = scores / math.sqrt(query.size(-1))
        m = mask if invert else ~mask
        m = m[mask_index]
        if mask_fill == "before":
            scores = scores.masked_fill(m, fill)
        weights = scores.softmax(dim=dim)
        if mask_fill == "after":
            weights = weights.masked_fill(m, 0.0)
        context = weights @ (keys if context_from == "keys" else query)
        return (context, weights) if order == "context_first" else (weights, context)
    return f


@pytest.mark.parametrize("kwargs, words", [
    ({"mask_fill": "none"}, ["give padding a share: the mask was not applied", "BEFORE the softmax"]),
    ({"mask_fill": "after"}, ["no longer sum to 1: the mask came AFTER the softmax"]),
    ({"fill": 0.0}, ["its scores were set to 0, not -inf", "exp(0) = 1"]),
    ({"invert": True}, ["weights holds NaN for the full-length rows", "pass ~mask"]),
    ({"mask_index": (slice(None), slice(None), None)},
     ["lined the mask up with the wrong axis", "mask[:, None, :]"]),
    ({"dim": 1}, ["NaN in every padding column: the softmax ran over the target steps"]),
    ({"scale": True}, ["divided by sqrt(hidden) = 2.24", "plain dot"]),
    ({"order": "weights_first"}, ["returned (weights, context); the order is (context, weights)"]),
    ({"fill": -1e4}, []),  # passes: with these scores -1e4 already underflows to exactly 0
])
def test_attention_wrong(kwargs, words, capsys):
    fn = attention_variant(**kwargs)
    if not words:
        nb08.check_attention(fn)
        assert "PASSED" in capsys.readouterr().out
        return
    msg = message(nb08.check_attention, fn)
    for w in words:
        assert w in msg, msg
    assert msg.splitlines()[-1].startswith("  Fix:  ")


def test_attention_softmax_over_steps_without_nan():
    # with the mask applied after the softmax there is no NaN: the axis is named
    def f(query, keys, mask):
        weights = (query @ keys.transpose(1, 2)).masked_fill(~mask[:, None, :], -1e9).softmax(dim=1)
        return weights @ keys, weights
    msg = message(nb08.check_attention, f)
    assert "the softmax ran over the target steps (dim=1)" in msg


def test_attention_mask_wrong_axis_silent_when_steps_equal_source():
    f = attention_variant(mask_index=(slice(None), slice(None), None))
    msg = message(nb08.check_attention, f, configs=(dict(batch=2, steps=6, src=6, hidden=4),))
    assert "NaN in the rows of target steps >= the source length" in msg


def test_attention_context_of_the_query():
    msg = message(nb08.check_attention, attention_variant(context_from="query"), configs=(dict(batch=2, steps=6, src=6, hidden=4),))
    assert "weighted sum of the QUERY steps" in msg


def test_attention_in_place():
    def f(query, keys, mask):
        mask.logical_not_()
        scores = (query @ keys.transpose(1, 2)).masked_fill(mask[:, None, :], float("-inf"))
        weights = scores.softmax(dim=-1)
        return weights @ keys, weights
    assert "changed its inputs in place" in message(nb08.check_attention, f)


def test_attention_fix_line_runs(capsys):
    msg = message(nb08.check_attention, attention_variant(mask_fill="none"))
    fix = msg.splitlines()[-1].split("Fix:  weights = ")[1]

    def fixed(query, keys, mask):
        scores = query @ keys.transpose(1, 2)  # noqa: F841  (the fix reads it)
        weights = eval(fix)
        return weights @ keys, weights
    nb08.check_attention(fixed)
    assert "PASSED" in capsys.readouterr().out


def test_attention_not_done():
    with pytest.raises(NotDoneYet, match="attention"):
        nb08.check_attention(not_done)


# --- exercise 3: sequence_loss -------------------------------------------------------------------


def sequence_loss_transposed(logits, targets, pad_id):
    return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=pad_id)


def sequence_loss_masked(logits, targets, pad_id):
    per_token = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    real = targets != pad_id
    return (per_token * real).sum() / real.sum()


LOSS_HIDDEN = {"configs": (dict(batch=5, seq=11, vocab=15, pad_id=0), dict(batch=1, seq=1, vocab=4, pad_id=2),
                           dict(batch=3, seq=8, vocab=8, pad_id=7)), "seed": 4}


@pytest.mark.parametrize("fn", [sequence_loss, sequence_loss_transposed, sequence_loss_masked])
@pytest.mark.parametrize("kwargs", [{}, LOSS_HIDDEN])
def test_sequence_loss_right(fn, kwargs, capsys):
    nb08.check_sequence_loss(fn, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED sequence_loss")


@pytest.mark.parametrize("fn, words", [
    (lambda lo, t, p: nn.CrossEntropyLoss(ignore_index=p)(lo, t),
     ["nn.CrossEntropyLoss got logits (batch, seq, vocab)", "reads axis 1 as the classes",
      "Expected target size"]),
    (lambda lo, t, p: nn.CrossEntropyLoss()(lo.reshape(-1, lo.size(-1)), t.reshape(-1)),
     ["includes the padding positions", "predict <pad> after <eos>"]),
    (lambda lo, t, p: nn.CrossEntropyLoss(ignore_index=0)(lo.reshape(-1, lo.size(-1)), t.reshape(-1)),
     ["skips id 0, but this check's pad_id is 3", "ignore_index=0 is written"]),
    (lambda lo, t, p: nn.CrossEntropyLoss(ignore_index=p, reduction="sum")(lo.reshape(-1, lo.size(-1)),
                                                                         t.reshape(-1)),
     ["a SUM over the real tokens"]),
    (lambda lo, t, p: (F.cross_entropy(lo.transpose(1, 2), t, reduction="none") * (t != p)).mean(),
     ["zeroed out but still counted"]),
    (lambda lo, t, p: F.cross_entropy(lo.softmax(-1).reshape(-1, lo.size(-1)), t.reshape(-1), ignore_index=p),
     ["a softmax ran before the loss"]),
    (lambda lo, t, p: sequence_loss(lo, t, p).item(), ["returned a Python float (.item())"]),
    (lambda lo, t, p: torch.tensor(sequence_loss(lo, t, p).item()), ["a tensor without a gradient"]),
    (lambda lo, t, p: F.cross_entropy(lo.transpose(1, 2), t, ignore_index=p, reduction="none"),
     ["should be one number (a 0-dim tensor)"]),
    (lambda lo, t, p: sequence_loss(lo.flip(1), t, p), ["loss is ", "but the mean cross entropy"]),
])
def test_sequence_loss_wrong(fn, words):
    msg = message(nb08.check_sequence_loss, fn)
    for w in words:
        assert w in msg, msg
    assert msg.splitlines()[-1].startswith("  Fix:  ")


def test_sequence_loss_batch_seq_vocab_caught_silently_too():
    # seq == vocab: nn.CrossEntropyLoss accepts (batch, seq, vocab) and returns a wrong number
    msg = message(nb08.check_sequence_loss, lambda lo, t, p: F.cross_entropy(lo, t, ignore_index=p),
                  configs=(dict(batch=4, seq=6, vocab=6, pad_id=3),))
    assert "classes, so with seq = vocab = 6 it silently scored" in msg


def test_sequence_loss_fix_line_runs(capsys):
    msg = message(nb08.check_sequence_loss, lambda lo, t, p: nn.CrossEntropyLoss()(lo.reshape(-1, lo.size(-1)),
                                                                                    t.reshape(-1)))
    fix = msg.splitlines()[-1].split("Fix:  ")[1]

    def fixed(logits, targets, pad_id):
        return eval(fix)
    nb08.check_sequence_loss(fixed)
    assert "PASSED" in capsys.readouterr().out


def test_sequence_loss_not_done():
    with pytest.raises(NotDoneYet, match="sequence_loss"):
        nb08.check_sequence_loss(not_done)


# --- exercise 4: greedy_decode -------------------------------------------------------------------


def make_greedy(*, feed="prediction", stop="pad", carry=True, argmax_dim=-1, sos=None, tf_shift=1,
                mask_kind="lengths", start_state="encoder", break_early=False, one_call_tf=False,
                keep_logits=False, stack_dim=1):
    def greedy_decode(encoder, decoder, src, src_lengths, targets, sos_id, eos_id, pad_id, teacher_forcing=False):
        memory, enc_state = encoder(src, src_lengths)
        state = enc_state if start_state == "encoder" else None
        if mask_kind == "lengths":
            mask = torch.arange(src.size(1), device=src.device)[None, :] < src_lengths.to(src.device)[:, None]
        elif mask_kind == "src":
            mask = src != 0
        elif mask_kind == "src_pad":
            mask = src != pad_id
        else:
            mask = torch.ones_like(src, dtype=torch.bool)
        batch, steps = targets.shape
        first = sos_id if sos is None else sos
        if teacher_forcing and one_call_tf:
            inputs = torch.cat([torch.full_like(targets[:, :1], first), targets[:, :-1]], dim=1)
            logits, _, _ = decoder(inputs, state, memory, mask)
            tokens = logits.argmax(dim=-1)
            is_eos = tokens == eos_id
            return tokens.masked_fill(is_eos.cumsum(1) - is_eos.long() > 0, pad_id)
        inputs = torch.full((batch, 1), first, dtype=torch.long, device=src.device)
        finished = torch.zeros(batch, dtype=torch.bool, device=src.device)
        tokens, all_logits = [], []
        for t in range(steps):
            logits, new_state, _ = decoder(inputs, state, memory, mask)
            all_logits.append(logits)
            if carry:
                state = new_state
            prediction = logits[:, -1].argmax(dim=argmax_dim) if argmax_dim != 1 else logits.argmax(dim=1)
            if stop == "pad":
                prediction = prediction.masked_fill(finished, pad_id)
                finished = finished | (prediction == eos_id)
            elif stop == "zero":
                prediction = prediction.masked_fill(finished, 0)
                finished = finished | (prediction == eos_id)
            elif stop == "eos_too":
                finished = finished | (prediction == eos_id)
                prediction = prediction.masked_fill(finished, pad_id)
            elif stop == "eos_fill":
                prediction = prediction.masked_fill(finished, eos_id)
                finished = finished | (prediction == eos_id)
            tokens.append(prediction)
            if teacher_forcing:
                inputs = targets[:, t + 1 - tf_shift:t + 2 - tf_shift]
            elif feed == "prediction":
                inputs = prediction.unsqueeze(1) if prediction.dim() == 1 else prediction
            elif feed == "target":
                inputs = targets[:, t:t + 1]
            elif feed == "same_target":
                inputs = targets[:, t + 1:t + 2] if t + 1 < steps else targets[:, t:t + 1]
            elif feed == "raw":
                inputs = logits[:, -1].argmax(dim=-1, keepdim=True)
            if break_early and bool(finished.all()):
                tokens += [torch.full_like(prediction, pad_id)] * (steps - t - 1)
                break
        if keep_logits:
            return torch.cat(all_logits, dim=1)
        return torch.stack(tokens, dim=stack_dim)
    return greedy_decode


OTHER_DECODE_CONFIGS = (dict(batch=4, src_seq=9, steps=7, vocab=10, emb=5, hidden=2, sos_id=8, eos_id=9,
                             pad_id=0, eos_bias=0.5, seed=9),)


@pytest.mark.parametrize("fn", [greedy_decode, make_greedy(), make_greedy(break_early=True),
                                make_greedy(one_call_tf=True), make_greedy(mask_kind="src_pad"),
                                make_greedy(feed="raw")])
@pytest.mark.parametrize("kwargs", [{}, {"configs": OTHER_DECODE_CONFIGS},
                                    {"configs": nb08.DECODE_CONFIGS[1:], "modes": (False,)}])
def test_greedy_decode_right(fn, kwargs, capsys):
    nb08.check_greedy_decode(fn, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED greedy_decode")


@pytest.mark.parametrize("kwargs, words", [
    ({"feed": "target"}, ["fed targets[:, t - 1], the true answer, with\n  teacher_forcing=False",
                          "teacher forcing at inference"]),
    ({"feed": "same_target"}, ["fed targets[:, t], the true answer"]),
    ({"feed": "none"}, ["fed <sos> again: it never sees its own predictions"]),
    ({"stop": "none"}, ["predicted <eos> at step", "but tokens go on after it", "<pad> (pad_id=3)"]),
    ({"stop": "eos_too"}, ["the <eos> itself was replaced by <pad>"]),
    ({"stop": "eos_fill"}, ["after each row's first <eos>, tokens hold [5]", "should be <pad>, pad_id=3"]),
    ({"stop": "zero"}, ["tokens hold 0, but this check's pad_id is 3", "id 0 is written in",
                        "Fix:  prediction.masked_fill(finished, pad_id)"]),
    ({"mask_kind": "src"}, ["a mask that does not mark the real source tokens", "need not be 0"]),
    ({"argmax_dim": 0}, ["combined a tensor of vocab size with one of batch size",
                         "Likely the argmax ran over another axis than vocab"]),
    ({"argmax_dim": 1}, ["combined a tensor of vocab size with one of batch size"]),
    ({"carry": False}, ["started again from the encoder's state", "Fix:  logits, state, _ = decoder("]),
    ({"start_state": "zeros"}, ["the decoder started from zeros (state=None)", "notebook 04"]),
    ({"sos": 2}, ["step 0 was fed [2]", "sos_id=4"]),
    ({"tf_shift": 0}, ["with teacher_forcing=True, step 1 was fed targets[:, 1]", "not shifted"]),
    ({"mask_kind": "ones"}, ["a mask that does not mark the real source tokens"]),
    ({"keep_logits": True}, ["tokens is (batch, seq, vocab): the scores, not the ids"]),
    ({"stack_dim": 0}, ["tokens is (seq, batch)"]),
])
def test_greedy_decode_wrong(kwargs, words):
    msg = message(nb08.check_greedy_decode, make_greedy(**kwargs))
    for w in words:
        assert w in msg, msg
    assert msg.splitlines()[-1].startswith("  Fix:  ")


def test_greedy_decode_ignores_the_teacher_forcing_flag():
    def f(encoder, decoder, src, src_lengths, targets, sos_id, eos_id, pad_id, teacher_forcing=False):
        return make_greedy()(encoder, decoder, src, src_lengths, targets, sos_id, eos_id, pad_id, False)
    msg = message(nb08.check_greedy_decode, f)
    assert "with teacher_forcing=True, step 1 was fed your own prediction: the flag is" in msg


def test_greedy_decode_all_steps_at_once_without_teacher():
    def f(encoder, decoder, src, src_lengths, targets, sos_id, eos_id, pad_id, teacher_forcing=False):
        memory, state = encoder(src, src_lengths)
        mask = torch.arange(src.size(1))[None, :] < src_lengths[:, None]
        inputs = torch.cat([torch.full_like(targets[:, :1], sos_id), targets[:, :-1]], dim=1)
        return decoder(inputs, state, memory, mask)[0].argmax(-1)
    msg = message(nb08.check_greedy_decode, f)
    assert "was fed 6 steps at once without teacher forcing" in msg


def test_greedy_decode_broadcast_to_batch_by_batch():
    def f(encoder, decoder, src, src_lengths, targets, sos_id, eos_id, pad_id, teacher_forcing=False):
        memory, state = encoder(src, src_lengths)
        mask = torch.arange(src.size(1))[None, :] < src_lengths[:, None]
        batch, steps = targets.shape
        inputs = torch.full((batch, 1), sos_id)
        finished = torch.zeros(batch, dtype=torch.bool)
        tokens = []
        for _ in range(steps):
            logits, state, _ = decoder(inputs, state, memory, mask)
            prediction = logits.argmax(-1).masked_fill(finished, pad_id)  # (batch, 1) with (batch,)
            finished = finished | (prediction[:, 0] == eos_id)
            tokens.append(prediction)
            inputs = prediction
        return torch.cat(tokens, dim=1)
    msg = message(nb08.check_greedy_decode, f)
    assert "was fed (5, 5) = (batch, batch) ids" in msg and "broadcasting" in msg


def test_greedy_decode_never_calls_the_encoder():
    def f(encoder, decoder, src, src_lengths, targets, sos_id, eos_id, pad_id, teacher_forcing=False):
        return torch.zeros_like(targets)
    assert "never ran the encoder" in message(nb08.check_greedy_decode, f)


def test_greedy_decode_not_done():
    with pytest.raises(NotDoneYet, match="greedy_decode"):
        nb08.check_greedy_decode(not_done)


def test_decode_fixtures_reach_eos_at_different_steps():
    """The visible fixtures make every diagnosis possible: rows end at different steps, one never;
    the pad ids are not 0, and 0 is a token the fixtures predict (so a 0 written in is caught)."""
    zeros = 0
    for config in nb08.DECODE_CONFIGS:
        batch, src_seq, steps, vocab, emb, hidden, sos_id, eos_id, pad_id, bias, seed = (config[key] for key in (
            "batch", "src_seq", "steps", "vocab", "emb", "hidden", "sos_id", "eos_id", "pad_id", "eos_bias", "seed"))
        assert pad_id != 0
        encoder, decoder = nb08._decode_fixtures(vocab, emb, hidden, sos_id, eos_id, bias, seed=seed,
                                                 device="cpu", pad_id=pad_id)
        lengths, g = nb08._decode_case(batch, src_seq, seed)
        assert 1 in lengths.tolist() and src_seq in lengths.tolist()
        src = torch.randint(4, vocab, (batch, src_seq), generator=g)
        src = src.masked_fill(torch.arange(src_seq)[None, :] >= lengths[:, None], pad_id)
        targets = nb08._decode_targets(batch, steps, vocab, sos_id, eos_id, pad_id, seed=seed)
        for tf in (False, True):
            _, raw, _ = nb08._reference_decode(encoder, decoder, src, lengths, targets, sos_id, eos_id, tf,
                                               pad_id)
            first = [int((row == eos_id).nonzero()[0]) if (row == eos_id).any() else steps for row in raw]
            assert steps in first and len(set(first)) >= 3 and any(0 < f < steps - 1 for f in first)
            assert not {pad_id, 1, sos_id} & set(raw.flatten().tolist())
            zeros += int((raw == 0).sum())
    assert zeros > 0


# --- the trained model ----------------------------------------------------------------------------


class ConstantDecoder(nn.Module):
    """Always writes one date, whatever the source: a model that ignores its input."""

    def __init__(self, ids):
        super().__init__()
        self.ids = ids
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, inputs, state, memory, mask):
        batch, steps = inputs.shape
        logits = torch.full((batch, steps, 15), -5.0)
        step = len(self.seen)
        self.seen.append(step)
        logits[:, :, self.ids[min(step, len(self.ids) - 1)]] = 5.0
        return logits, state, torch.zeros(batch, steps, memory.size(1))


class ZeroEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, src, src_lengths):
        return torch.zeros(src.size(0), src.size(1), 4), (torch.zeros(1, src.size(0), 4),) * 2


class Model(nn.Module):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder


def _vocabs():
    pairs = data.dates.date_split("train")
    sv = data.char_vocab(h for h, _ in pairs)
    tv = data.char_vocab((i for _, i in pairs), specials=(data.SOS, data.EOS))
    return sv, tv


def _constant_model(tv):
    decoder = ConstantDecoder(tv.encode(list("1995-10-10")) + [tv.stoi[data.EOS]])
    decoder.seen = []
    return Model(ZeroEncoder(), decoder)


def test_trained_model_constant_date_fails(fresh_gate):
    sv, tv = _vocabs()
    heldout.hold_out("the test dates")
    model = _constant_model(tv)
    heldout.seal(model)
    with pytest.raises(CheckFailed) as info:
        nb08.check_trained_model(model, sv, tv)
    msg = str(info.value)
    assert "exact match on 1000 held-out dates is 0.0" in msg
    assert "same output for all 1000 dates" in msg
    assert "Fix:  run the training cells again" in msg


def test_trained_model_gate_comes_first(fresh_gate):
    """An unsealed model, a request for the test split before the seal, and training after the
    seal are refused before anything is measured, with the gate's message."""
    sv, tv = _vocabs()
    heldout.hold_out("the test dates")
    model = _constant_model(tv)
    with pytest.raises(CheckFailed, match="no trained model was sealed"):
        nb08.check_trained_model(model, sv, tv)
    with pytest.raises(heldout.TestSplitClosed, match=r"date_split\('test'\): the test dates stay closed"):
        data.dates.date_split("test")
    heldout.seal(model)
    with pytest.raises(CheckFailed, match="asked for before the model was trained and sealed"):
        nb08.check_trained_model(model, sv, tv)
    heldout.hold_out("the test dates")
    heldout.seal(model)
    with torch.no_grad():
        model.decoder.dummy += 1.0                      # trained further after the seal
    with pytest.raises(CheckFailed, match="weights changed after the training cell sealed them"):
        nb08.check_trained_model(model, sv, tv)


def test_date_pairs_reaching_the_test_dates_are_closed_too(fresh_gate):
    heldout.hold_out("the test dates")
    assert len(data.date_pairs(5000)) == 5000 and len(data.date_pairs(6000, seed=1)) == 6000
    with pytest.raises(heldout.TestSplitClosed, match=r"date_pairs\('all'\)"):
        data.date_pairs(6000)
    assert len(heldout._state["attempts"]) == 1


def test_held_out_pairs_are_not_training_pairs(fresh_gate):
    train = {h for h, _ in data.dates.date_split("train") + data.dates.date_split("valid")}
    for which in ("test", "fresh"):
        held = nb08.held_out_pairs(which)
        assert len(held) == 1000
        assert not train & {h for h, _ in held}
    assert nb08.held_out_pairs("test") == data.dates.date_split("test") == data.date_pairs(6000)[5000:]


def test_check_trained_model_rejects_non_modules(fresh_gate):
    with pytest.raises(CheckFailed, match="should be your trained Seq2Seq module"):
        nb08.check_trained_model("model", data.Vocab([]), data.Vocab([]))
    heldout.hold_out("the test dates")
    model = nn.Module()
    model.decoder = nn.Linear(1, 1)                     # no encoder
    heldout.seal(model)
    with pytest.raises(CheckFailed, match="model.encoder should be your trained Encoder module"):
        nb08.check_trained_model(model, data.Vocab([]), data.Vocab([]))


# --- every graded wrong answer is caught by the visible check alone ---------------------------------

VISIBLE_MESSAGES = {
    "targets returned unshifted (the model learns to copy)": "returned the targets unshifted",
    "shifted to the left: step t reads the next token": "shifted the targets to the LEFT",
    "<sos> and the whole target row: one column too many": "one more than targets",
    "sos id written in (2), not the argument": "column 0 of inputs holds [2]",
    "<sos> column made on the CPU whatever the targets' device": "makes a tensor on the CPU",
    "mask applied along the target steps": "lined the mask up with the wrong axis",
    "softmax over the target steps": "the softmax ran over the target steps",
    "mask inverted (masks the real tokens)": "so the mask is inverted",
    "mask ignored: attends to padding": "give padding a share: the mask was not applied",
    "mask applied after the softmax, not renormalised": "the mask came AFTER the softmax",
    "padding filled with 0 instead of -inf": "its scores were set to 0, not -inf",
    "(batch, seq, vocab) fed to CrossEntropyLoss": "reads axis 1 as the classes",
    "loss returned as a Python float": "returned a Python float",
    "loss over padding (no ignore_index)": "includes the padding positions",
    "ignore_index=0 written in": "ignore_index=0 is written in",
    "sum instead of mean": "a SUM over the real tokens",
    "teacher forcing at inference: reads the targets": "teacher forcing at inference",
    "never fed its own prediction (<sos> every step)": "fed <sos> again",
    "no stop at <eos>": "but tokens go on after it",
    "argmax over the batch axis": "Likely the argmax ran over another axis than vocab",
    "decoder state not carried from step to step": "started again from the encoder's state",
    "teacher forcing not shifted: step t reads targets[:, t]": "the inputs are not shifted",
    "<eos> itself replaced by <pad>": "the <eos> itself was replaced by <pad>",
    "sos id written in (2) in the decoding loop": "step 0 was fed [2]",
    "pad id 0 written in after <eos>": "id 0 is written in",
}


def _wrong_answers():
    """Every graded wrong answer of an exercise (the held-out gate's own wrong answer, training on
    the test dates, costs only the trained model's points: the gate's tests are above)."""
    WRONG_ANSWERS = mistakes("08").WRONG_ANSWERS
    return [w for w in WRONG_ANSWERS if w.caught_by != {"test_trained_model"}]


@pytest.mark.parametrize("wrong", _wrong_answers(), ids=lambda w: w.why[:40])
def test_every_graded_wrong_answer_is_caught_by_the_visible_check(wrong):
    from course_utils.grading.visible import _cells, run_visible
    assert wrong.why in VISIBLE_MESSAGES, wrong.why
    exercise_test = next(t for t in sorted(wrong.caught_by) if t != "test_trained_model")
    source = _cells("08-seq2seq")[wrong.cell]
    assert wrong.old in source
    msg = run_visible("08-seq2seq", wrong.cell, source.replace(wrong.old, wrong.new), exercise_test)
    assert msg is not None, f"the visible check of {exercise_test} passed: {wrong.why}"
    assert VISIBLE_MESSAGES[wrong.why] in msg, msg


def test_solution_passes_every_visible_check():
    from course_utils.grading.visible import _cells, run_visible
    cells = _cells("08-seq2seq")
    for answer, check in (("decoder_inputs", "test_decoder_inputs"), ("attention", "test_attention"),
                          ("sequence_loss", "test_sequence_loss"), ("greedy_decode", "test_greedy_decode")):
        assert run_visible("08-seq2seq", answer, cells[answer], check) is None
