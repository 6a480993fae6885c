"""The report's Methods paragraph, generated from the resolved config (neurokit2's
``*_methods`` idea): what a reader needs to repeat the run, with references."""

from __future__ import annotations

from typing import Any

REFERENCES = {
    "kachuee_resnet": "Kachuee M, Fazeli S, Sarrafzadeh M. ECG heartbeat classification: a deep transferable "
                      "representation. IEEE ICHI 2018.",
    "inter": "de Chazal P, O'Dwyer M, Reilly RB. Automatic classification of heartbeats using ECG morphology "
             "and heartbeat interval features. IEEE Trans Biomed Eng 51(7), 2004.",
    "mitbih": "Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE EMB Mag 20(3), 2001.",
    "lightning": "PyTorch Lightning (Falcon et al.) and torchmetrics (Detlefsen et al., JOSS 2022).",
}


def methods_paragraph(config: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    data, model = config.get("data", {}), config.get("model", {})
    optim, trainer = config.get("optim", {}), config.get("trainer", {})
    params = ", ".join(f"{k}={v}" for k, v in model.items() if k != "name") or "defaults"
    text = (
        f"Data: dataset '{data.get('name')}' ({summary.get('protocol', 'protocol not stated')}). "
        + _beats_sentence(data)
        + f"Model: '{model.get('name')}' ({params}). "
        + _timing_sentence(model)
        + f"Training: {optim.get('name', 'adam')} optimiser, learning rate {optim.get('lr')}, weight decay "
        f"{optim.get('weight_decay', 0)}, scheduler {optim.get('scheduler', 'none')}, batch size "
        f"{data.get('batch_size')}, up to {trainer.get('max_epochs')} epochs"
        + (f" with early stopping (patience {trainer['early_stopping_patience']})"
           if trainer.get("early_stopping_patience") is not None else "")
        + f"; the checkpoint with the best {trainer.get('monitor', 'val/macro_f1')} on the validation split is "
        f"evaluated; seed {config.get('seed')}. "
        + _vote_sentence(config.get("eval", {}))
        + "Macro averages are over the classes present in the evaluated "
        "split. Implemented with seqlab on PyTorch Lightning and torchmetrics."
    )
    refs = [REFERENCES["lightning"]]
    if data.get("name") == "mitbih":
        refs.append(REFERENCES["mitbih"])
    if data.get("split") == "inter":
        refs.append(REFERENCES["inter"])
    if model.get("name") in REFERENCES:
        refs.append(REFERENCES[model["name"]])
    return {"text": text, "references": refs}


def _beats_sentence(data: dict[str, Any]) -> str:
    """How ECG beats were made (empty for other data): lead, filters, window, RR set."""
    if "window_s" not in data:
        return ""
    before, after = data["window_s"]
    rr_set = data.get("rr_set", "basic")
    rr = ("no RR features" if not data.get("rr_features", True) else
          "patient-relative RR, P-wave and QRS-shape features (measured against the record itself)"
          if rr_set == "relative" else f"{rr_set} RR features")
    extras = ", plus the beat minus the record's median beat" if data.get("record_template") else ""
    return (f"Beats: lead {data.get('lead', 'MLII')}, filters {', '.join(data.get('filters', [])) or 'none'}, "
            f"R peaks from {data.get('peaks', 'reference')}, {before} s before to {after} s after the R peak"
            f"{extras}; {rr}. ")


def _timing_sentence(model: dict[str, Any]) -> str:
    classes = model.get("timing_classes") or []
    if not classes:
        return ""
    lr = ("scikit-learn's class-balanced logistic regression, C = 0.1, refitted on the training and "
          "validation beats after training")
    first = model.get("morphology_first") or []
    if not first:
        return (f"The probability of {', '.join(classes)} comes from a linear model of the RR-input features "
                f"alone ({lr}); the network's beat path shares the rest between the other classes. ")
    return (f"The network's beat path decides {', '.join(first)} first: a beat it calls {' or '.join(first)} "
            f"keeps that probability however early it comes. Of the rest, the probability of "
            f"{', '.join(classes)} comes from a linear model of the RR-input features alone ({lr}, on the beats "
            f"that are not {' or '.join(first)}), and the other classes share what is left by the beat path's "
            "proportions. ")


def _vote_sentence(evaluation: dict[str, Any]) -> str:
    k = evaluation.get("morphology_vote", 0)
    if not k:
        return ""
    keep = ", ".join(evaluation.get("morphology_keep", ["S"])) or "none"
    return (f"At evaluation each beat's class probabilities (except {keep}, which keep their own share) are "
            f"averaged over its {k} most similar beats of the same record (16 principal components of the "
            f"waveforms; the record's labels are not used). ")
