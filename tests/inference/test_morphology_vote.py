"""The morphology vote: beats of one record with the same shape get the same shape-based call."""

import numpy as np
import pytest

from seqlab.errors import ConfigError
from seqlab.inference import morphology_vote as mv

CLASSES = ["N", "S", "V", "F"]


def two_shapes(n=200, seed=0):
    """A record of narrow (normal-like) and wide (ventricular-like) beats, 1 channel x 60."""
    rng = np.random.default_rng(seed)
    t = np.linspace(-1, 1, 60)
    wide = rng.random(n) < 0.3
    width = np.where(wide, 0.4, 0.08)[:, None]
    beats = np.exp(-(t[None, :] / width) ** 2) + 0.05 * rng.standard_normal((n, 60))
    return beats[:, None, :].astype(np.float32), wide


def test_wide_beats_called_n_on_some_and_v_on_others_are_called_v():
    beats, wide = two_shapes()
    rng = np.random.default_rng(1)
    # the network sees V in 70% of the wide beats only; S has a small share everywhere
    p_v = np.where(wide, np.where(rng.random(len(wide)) < 0.7, 0.7, 0.3), 0.05)
    probs = np.stack([0.95 - p_v, np.full_like(p_v, 0.05), p_v, np.zeros_like(p_v)], axis=1)
    before = probs.argmax(1)
    assert (before[wide] == 2).mean() < 0.8
    after = mv.morphology_vote(probs, beats, None, 10, CLASSES)
    assert (after.argmax(1)[wide] == 2).mean() > 0.9 and (after.argmax(1)[~wide] == 0).all()
    assert np.allclose(after.sum(1), 1, atol=1e-5)
    assert np.allclose(after[:, 1], probs[:, 1])  # S is decided by timing: each beat keeps its own


def test_a_premature_beat_keeps_its_s_call_among_normal_looking_neighbours():
    beats, wide = two_shapes()
    probs = np.tile([0.9, 0.05, 0.05, 0.0], (len(beats), 1))
    early = np.flatnonzero(~wide)[:3]
    probs[early] = [0.2, 0.75, 0.05, 0.0]
    after = mv.morphology_vote(probs, beats, None, 10, CLASSES)
    assert (after[early].argmax(1) == 1).all()


def compose_shape_first(q, g):
    """rr_resnet(morphology_first=[V]) output from the beat path's N/V/F shares q and timing's P(S) g."""
    return np.stack([(1 - g) * q[:, 0], (1 - q[:, 1]) * g, q[:, 1], (1 - g) * q[:, 2]], axis=1)


def test_with_shape_first_the_vote_averages_the_beat_paths_own_shares():
    """Normal-looking beats, most of them premature (timing says S): averaging the composed
    columns would hand the premature neighbours' leftover V share to the on-time beats; the
    vote for ``morphology_first: [V]`` averages the beat path's q and keeps every beat's g."""
    beats, wide = two_shapes()
    narrow = np.flatnonzero(~wide)
    rng = np.random.default_rng(2)
    q = np.tile([0.9, 0.1, 0.0], (len(beats), 1))
    q[wide] = [0.2, 0.8, 0.0]
    g = np.full(len(beats), 0.02)
    g[narrow[rng.random(narrow.size) < 0.9]] = 0.995  # premature, normal shape: S (an ectopic majority)
    probs = compose_shape_first(q, g)
    naive = mv.morphology_vote(probs, beats, None, 10, CLASSES)
    after = mv.morphology_vote(probs, beats, None, 10, CLASSES, first=["V"])
    on_time = ~wide & (g < 0.5)
    assert (naive.argmax(1)[on_time] == 2).any()  # the failure the composition-aware vote removes
    assert (after.argmax(1)[on_time] == 0).all() and (after.argmax(1)[g > 0.5] == 1).all()
    assert (after.argmax(1)[wide] == 2).all()
    np.testing.assert_allclose(after.sum(1), 1, atol=1e-5)
    nb = mv.nearest_neighbours(mv.principal_components(beats), 10)
    np.testing.assert_allclose(after, compose_shape_first(q[nb].mean(axis=1), g), atol=1e-5)


def test_records_vote_separately():
    beats, wide = two_shapes()
    probs = np.tile([0.1, 0.0, 0.9, 0.0], (len(beats), 1))  # record a: every beat V
    groups = np.array(["a"] * len(beats) + ["b"] * len(beats))
    other = np.tile([0.9, 0.0, 0.1, 0.0], (len(beats), 1))  # record b, same shapes: every beat N
    after = mv.morphology_vote(np.concatenate([probs, other]), np.concatenate([beats, beats]), groups, 10,
                               CLASSES)
    assert (after[: len(beats)].argmax(1) == 2).all() and (after[len(beats):].argmax(1) == 0).all()


def test_chunked_neighbours_match_a_full_distance_matrix(monkeypatch):
    z = np.random.default_rng(0).standard_normal((300, 5))
    monkeypatch.setattr(mv, "CHUNK", 64)
    got = mv.nearest_neighbours(z, 7)
    d = ((z[:, None] - z[None]) ** 2).sum(-1)
    want = np.argsort(d, axis=1)[:, :7]
    assert (np.sort(got, 1) == np.sort(want, 1)).all() and (got == np.arange(300)[:, None]).any(1).all()


def test_vote_on_a_text_run_is_a_config_error():
    from seqlab.config import EvalConfig

    tokens = np.zeros((4, 16), dtype=np.int64)
    probs = np.full((4, 2), 0.5, dtype=np.float32)
    assert mv.vote_from_config(probs, tokens, None, EvalConfig(), ["neg", "pos"]) is probs  # off
    with pytest.raises(ConfigError, match="morphology_vote"):
        mv.vote_from_config(probs, tokens, None, EvalConfig(morphology_vote=10), ["neg", "pos"])
