"""rr_resnet's rhythm gate: no S inside an irregular rhythm, at inference only."""

import pytest
import torch

from seqlab.data.ecg.segment import RR_CONTEXT_FEATURES, RR_FEATURES
from seqlab.errors import ConfigError
from seqlab.models.beat_context import rr_resnet
from seqlab.training.loading import build_model

CLASSES = ["N", "S", "V", "F"]
IRREGULARITY = RR_CONTEXT_FEATURES.index("irregularity")


def _net(gate):
    torch.manual_seed(0)
    return rr_resnet(num_classes=4, in_channels=2, num_rr=len(RR_CONTEXT_FEATURES), rhythm_gate=gate,
                     rr_names=list(RR_CONTEXT_FEATURES), class_names=CLASSES)


def test_gate_moves_s_probability_to_n_for_irregular_beats_only():
    gated, plain = _net(0.15).eval(), _net(None).eval()
    x, rr = torch.randn(6, 2, 81), torch.zeros(6, len(RR_CONTEXT_FEATURES))
    rr[:3, IRREGULARITY] = 0.3  # atrial-fibrillation-like rhythm around the first three beats
    with torch.no_grad():
        p, q = torch.softmax(gated(x, rr), 1), torch.softmax(plain(x, rr), 1)
    assert torch.all(p[:3, 1] == 0)  # never S in an irregular rhythm
    assert torch.allclose(p[:3, 0], q[:3, 0] + q[:3, 1], atol=1e-6)  # S's share went to N
    assert torch.allclose(p[:, 2:], q[:, 2:], atol=1e-6)  # V and F untouched
    assert torch.allclose(p[3:], q[3:], atol=1e-6)  # regular rhythm untouched


def test_gate_is_off_while_training_so_s_labels_keep_their_gradient():
    net = _net(0.15).train()
    rr = torch.zeros(4, len(RR_CONTEXT_FEATURES))
    rr[:, IRREGULARITY] = 0.3
    logits = net(torch.randn(4, 2, 81), rr)
    assert torch.all(logits[:, 1] > -100)
    torch.nn.functional.cross_entropy(logits, torch.ones(4, dtype=torch.long)).backward()


def test_gate_without_context_features_is_a_one_line_config_error():
    kwargs = dict(num_classes=4, num_rr=len(RR_FEATURES), rhythm_gate=0.15, rr_names=list(RR_FEATURES),
                  class_names=CLASSES)
    with pytest.raises(ConfigError, match="set data.rr_set: context"):
        build_model("rr_resnet", kwargs)
    kwargs.update(num_rr=len(RR_CONTEXT_FEATURES), rr_names=list(RR_CONTEXT_FEATURES), class_names=["N", "V"],
                  num_classes=2)
    with pytest.raises(ConfigError, match="moves S to N"):
        build_model("rr_resnet", kwargs)
