"""The sequence-to-sequence beat labeller: shapes, teacher forcing against greedy decoding, one
label per beat when it reads a record's beats (``models.seq2seq``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.models.seq2seq import per_beat_mean, seq2seq_lstm, window_index, window_starts

K, L = 4, 5


def net(**kw):
    torch.manual_seed(0)
    args = {"num_classes": K, "beats_per_window": L, "hidden_size": 8, "channels": [4, 8], "beat_features": 16,
            "pool_len": 4, **kw}
    return seq2seq_lstm(**args).eval()


def test_windows_cover_every_beat_inside_the_run():
    assert window_starts(12, 5).tolist() == [0, 5, 7]  # the last window ends at the last beat
    assert window_starts(10, 5).tolist() == [0, 5]
    assert window_starts(12, 5, stride=2).tolist() == [0, 2, 4, 6, 7]
    assert window_index(3, 5).tolist() == [[0, 1, 2, -1, -1]]  # a short run is padded
    assert window_starts(0, 5).size == 0
    for n in range(1, 30):
        idx = window_index(n, 5)
        assert sorted(set(idx[idx >= 0].tolist())) == list(range(n))


@pytest.mark.parametrize("attention,feed_beat", [(True, True), (True, False), (False, True)])
def test_shapes_windows_and_consecutive_beats(attention, feed_beat):
    model = net(attention=attention, feed_beat=feed_beat)
    with torch.no_grad():
        assert model(torch.randn(3, L, 1, 187)).shape == (3, L, K)
        for n in (1, L, 2 * L, 2 * L + 3):  # one label per beat, whatever the count
            out = model(torch.randn(n, 1, 187))
            assert out.shape == (n, K) and torch.isfinite(out).all()


def test_greedy_equals_teacher_forcing_on_its_own_choices():
    """The two decoding paths share every weight: fed its own greedy labels as targets, the
    teacher-forced pass gives the greedy logits; fed other labels, the logits change from the
    step after the change on, never before."""
    model = net()
    x = torch.randn(6, L, 1, 187)
    with torch.no_grad():
        greedy = model(x)
        chosen = greedy.argmax(dim=2)  # (B, L)
        torch.testing.assert_close(model(x, targets=chosen), greedy, atol=1e-5, rtol=1e-5)
        other = chosen.clone()
        other[:, 2] = (other[:, 2] + 1) % K
        forced = model(x, targets=other)
    torch.testing.assert_close(forced[:, :3], greedy[:, :3], atol=1e-5, rtol=1e-5)  # steps 0..2 read labels 0..1
    assert not torch.allclose(forced[:, 3], greedy[:, 3])  # step 3 reads label 2


def test_teacher_forcing_ignores_padding_and_trains_every_parameter():
    model = net(num_rr=3).train()
    x, rr = torch.randn(2, L, 1, 187), torch.rand(2, L, 3)
    y = torch.randint(0, K, (2, L))
    y[1, 3:] = -100  # padding at the end of a short record
    logits = model(x, rr, targets=y)
    keep = y >= 0
    torch.nn.functional.cross_entropy(logits[keep], y[keep]).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_scheduled_sampling_feeds_the_models_own_labels_while_training_only():
    """With scheduled_sampling=p, a share p of the previous labels comes from the model's first
    (teacher-forced) pass: p near 1 gives the logits of the model fed its own choices, p = 0
    the plain teacher-forced ones; in eval mode targets are read as given."""
    x = torch.randn(6, L, 1, 187)
    y = torch.randint(0, K, (6, L))
    sampled = net(scheduled_sampling=0.999999).train()
    plain = net().train()
    plain.load_state_dict(sampled.state_dict())
    with torch.no_grad():
        own = plain(x, targets=plain(x, targets=y).argmax(dim=2))  # fed its first pass's choices
        torch.testing.assert_close(sampled(x, targets=y), own, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(sampled.eval()(x, targets=y), plain.eval()(x, targets=y))
    with pytest.raises(ValueError, match="scheduled_sampling"):
        net(scheduled_sampling=1.0)


def test_consecutive_beats_are_windows_decoded_greedily_then_averaged():
    model = net()
    beats = torch.randn(2 * L + 3, 1, 187)  # windows 0-4, 5-9, 8-12: beats 8 and 9 are in two
    with torch.no_grad():
        per_beat = model(beats)
        index = torch.from_numpy(window_index(len(beats), L))
        windows = model(beats[index])  # (3, L, K)
    torch.testing.assert_close(per_beat[:8], windows[:2].reshape(-1, K)[:8], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(per_beat[8:10], (windows[1, 3:] + windows[2, :2]) / 2, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(per_beat[10:], windows[2, 2:], atol=1e-5, rtol=1e-5)


def test_beats_read_in_context():
    """A sequence model: a beat's label depends on its neighbours (unlike a per-beat model)."""
    model = net()
    beats = torch.randn(L, 1, 187)
    moved = beats.clone()
    moved[-1] += 3.0
    with torch.no_grad():
        assert not torch.allclose(model(beats)[0], model(moved)[0])


def test_per_beat_mean_matches_a_scatter_average():
    for n in (3, 5, 7, 10, 23):
        index = torch.from_numpy(window_index(n, L))
        feats = torch.randn(len(index), L, 2)
        valid = index >= 0
        total = torch.zeros(n, 2).index_add_(0, index[valid], feats[valid])
        count = torch.zeros(n).index_add_(0, index[valid], torch.ones(int(valid.sum())))
        torch.testing.assert_close(per_beat_mean(feats, n), total / count[:, None])


def test_bad_inputs_are_clear_errors():
    model = net(num_rr=3)
    with pytest.raises(ValueError, match="windows"):
        model(torch.randn(2, 187), rr=torch.rand(2, 3))
    with pytest.raises(ValueError, match="rr"):
        model(torch.randn(2, L, 1, 187))
    with pytest.raises(ValueError, match="targets"):
        model(torch.randn(4, 1, 187), rr=torch.rand(4, 3), targets=torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="too short"):
        seq2seq_lstm(num_classes=K, seq_len=2)
    assert np.isclose(float(net()(torch.zeros(0, 1, 187)).numel()), 0)
