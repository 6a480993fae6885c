"""Denoising autoencoder against seqlab's filter chain on held-out records (issue 17).

    python benchmarks/bench_ae_denoise.py [--source ../shared/data/mitdb] [--out runs/bench-ae-denoise]
                                          [--run RUN_DIR] [key=value ...]

1. Trains ``configs/ae/denoise.yaml`` (``conv_dae``; DS1 patient-wise fold 0 of 5: 12 training
   records, 5 validation, 5 test) through ``seqlab train``'s own code, overrides applied, and
   prints its training time (``--run`` reuses a finished run instead).
2. Whole-record protocol on the test records, which the network never saw: each record's lead
   after seqlab's filter chain (``data.filters``) is the clean reference; at the beats' rate
   (125 Hz) one noise kind (``seqlab.data.ecg.noise``) is added, scaled to the SNR over the
   whole record. Beats are cut from the clean, the noisy, and the noisy-then-filtered record
   (the same chain again, on the whole noisy record: no window edges for the filters); each
   beat is scaled by its clean beat's mean and sd (the dataset's z-score). The autoencoder
   denoises the noisy beats. SNR out = 10·log10(Σ s² / Σ (s − ŝ)²) per beat, mean over beats.
   ``filters on clean`` is the chain applied to the clean record: its own distortion.
3. Prints that table, then the run report's table (noise at exactly the SNR per beat window,
   filters on the window), and writes ``examples.png`` and ``bench_ae_denoise.json`` to --out.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from aekit import parse_args, train_or_reuse


def record_beats(name: str, src: Path, opts):
    """(clean 125 Hz signal, its beats' sample positions, per-beat mean and sd, clean beats)."""
    from seqlab.data.ecg.reader import resample_signal
    from seqlab.data.ecg.segment import clean_record, read_record_for, record_peaks

    rec = read_record_for(src / name, opts, annotator="atr")
    clean = resample_signal(clean_record(rec, opts), rec.fs, opts.beat_fs).astype(np.float64)
    peaks = np.round(record_peaks(rec, opts)[0] * (opts.beat_fs / rec.fs)).astype(np.int64)
    raw, kept = cut(clean, peaks, opts)
    peaks = peaks[kept]
    mean, sd = raw.mean(axis=1, keepdims=True), np.maximum(raw.std(axis=1, keepdims=True), 1e-6)
    return clean, peaks, mean, sd, (raw - mean) / sd


def cut(signal: np.ndarray, peaks: np.ndarray, opts):
    from seqlab.data.ecg.segment import ecg_segment

    return ecg_segment(signal, opts.beat_fs, peaks, before_s=opts.window_s[0], after_s=opts.window_s[1],
                       seq_len=opts.seq_len)


def record_table(model, cfg, src: Path, records: list[str]) -> tuple[list[dict], dict]:
    from seqlab.data.ecg.noise import ecg_noise, scale_to_snr
    from seqlab.evaluation.reconstruction import snr_db
    from seqlab.inference.reconstruction import filter_chain, reconstruct_all

    opts, fs = cfg.data, cfg.data.beat_fs
    acc: dict[tuple, list] = {}
    examples = {}
    for r_i, name in enumerate(records):
        clean, peaks, mean, sd, s = record_beats(name, src, opts)
        scale = lambda sig: (cut(sig, peaks, opts)[0] - mean) / sd  # noqa: E731
        floor = scale(filter_chain(clean[None, None, :], fs, opts)[0, 0])
        acc.setdefault(("filters on clean", 0.0), []).append((snr_db(s, floor), snr_db(s, floor), snr_db(s, floor)))
        for k_i, kind in enumerate(cfg.reconstruct.noise):
            for l_i, level in enumerate(cfg.reconstruct.eval_snr_db):
                rng = np.random.default_rng([cfg.seed, r_i, k_i, l_i])
                noise = scale_to_snr(clean[None], ecg_noise(1, len(clean), fs, method=kind, rng=rng), level)[0]
                noisy = clean + noise
                x = scale(noisy).astype(np.float32)
                f = scale(filter_chain(noisy[None, None, :], fs, opts)[0, 0])
                a = reconstruct_all(model, x[:, None, :], 2048)[:, 0]
                acc.setdefault((kind, level), []).append((snr_db(s, x), snr_db(s, a), snr_db(s, f)))
                if r_i == 0:
                    examples[(kind, level)] = (s[10], x[10], a[10], f[10])
    rows = []
    for (kind, level), parts in acc.items():
        snr_in, ae, filt = (np.concatenate([p[i] for p in parts]) for i in range(3))
        rows.append({"noise": kind, "snr_in_db": level, "snr_in_measured": float(snr_in.mean()), "beats": len(ae),
                     "ae_snr_db": float(ae.mean()), "filter_snr_db": float(filt.mean()),
                     "ae_minus_filter_db": float(ae.mean() - filt.mean())})
    for level in cfg.reconstruct.eval_snr_db:  # the three kinds weighed equally, as the NST has one record each
        same = [r for r in rows if r["snr_in_db"] == level and r["noise"] in cfg.reconstruct.noise]
        mean = {k: float(np.mean([r[k] for r in same])) for k in ("snr_in_measured", "ae_snr_db", "filter_snr_db",
                                                                 "ae_minus_filter_db")}
        rows.append({"noise": "mean of kinds", "snr_in_db": level, "beats": same[0]["beats"], **mean})
    return rows, examples


def plot_examples(examples: dict, kinds: list[str], levels: list[float], path: Path) -> None:
    from seqlab.report.plots import _png, plt

    fig, axes = plt.subplots(len(kinds), len(levels), figsize=(3.2 * len(levels), 2.3 * len(kinds)), squeeze=False)
    for i, kind in enumerate(kinds):
        for j, level in enumerate(levels):
            s, x, a, f = examples[(kind, level)]
            ax = axes[i, j]
            ax.plot(x, c="0.65", lw=0.8, label="noisy")
            ax.plot(s, c="black", lw=1, label="clean")
            ax.plot(a, c="tab:blue", lw=1, label="autoencoder")
            ax.plot(f, c="tab:orange", lw=1, ls="--", label="filter chain")
            ax.set_title(f"{kind}, {level:g} dB in (whole record)", fontsize=9)
            ax.tick_params(labelsize=7)
    axes[0, 0].legend(frameon=False, fontsize=7)
    fig.tight_layout()
    path.write_bytes(_png(fig))


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], "bench-ae-denoise", "denoising")
    from seqlab.inference.loading import load_model

    out = Path(args.out)
    cfg, run_dir, timing = train_or_reuse(args, "configs/ae/denoise.yaml", out)
    model = load_model(run_dir)
    summary = json.loads((run_dir / "data_summary.json").read_text())
    test = summary["records"]["test"]
    rows, examples = record_table(model, cfg, Path(args.source), test)
    plot_examples(examples, list(cfg.reconstruct.noise), list(cfg.reconstruct.eval_snr_db), out / "examples.png")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    result = {"run": str(run_dir), "test_records": test, "train_records": summary["records"]["train"],
              "timing": timing, "whole_record": rows, "per_beat_window": metrics.get("denoising")}
    (out / "bench_ae_denoise.json").write_text(json.dumps(result, indent=1))
    print(f"run {run_dir}; trained on {len(summary['records']['train'])} records, tested on {' '.join(test)}")
    print(f"fit {timing.get('train_s')} s wall ({timing.get('epochs_run')} epochs, {timing.get('step_ms')} ms/step); "
          f"whole train() call {timing.get('train_call_wall_s')} s wall, {timing.get('train_call_cpu_s')} s CPU")
    print("\nwhole-record noise, mean per-beat SNR (dB):")
    print("| noise | SNR in | measured in | autoencoder out | filter chain out | AE - filters |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['noise']} | {r['snr_in_db']:g} | {r['snr_in_measured']:.2f} | {r['ae_snr_db']:.2f} | "
              f"{r['filter_snr_db']:.2f} | {r['ae_minus_filter_db']:+.2f} |")
    print("\nper-beat-window noise (the run report's table):")
    print("| noise | SNR in | autoencoder out | filter chain out |")
    print("|---|---|---|---|")
    for r in metrics.get("denoising") or []:
        print(f"| {r['noise']} | {r['snr_in_db']:g} | {r['ae_snr_db']:.2f} | {r['filter_snr_db']:.2f} |")
    print(f"\nexamples: {out / 'examples.png'}")


if __name__ == "__main__":
    main()
