"""report.html is self-contained and shows what a reader needs."""

import re

from seqlab.report.html import write_report


def test_report_is_self_contained_with_all_sections(smoke_run):
    html = write_report(smoke_run).read_text()
    for section in ("Results", "Learning curves", "Data", "Speed", "Methods", "Configuration"):
        assert f"<h2>{section}</h2>" in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) >= 5
    assert not re.search(r'(src|href)="(http|/|\.\./)', html)  # nothing fetched from elsewhere
    assert "sawtooth" in html


def test_intra_patient_runs_carry_a_bold_warning(tmp_path):
    from seqlab import config
    from seqlab.training import run

    from testpaths import SMOKE

    out = run.train(config.load(SMOKE, ["data.split=random", "trainer.max_epochs=1"]), tmp_path / "r")
    html = (out / "report.html").read_text()
    assert '<p class="warn"><b>Intra-patient protocol' in html


def test_methods_paragraph_says_how_ecg_beats_were_made():
    from seqlab import config
    from seqlab.report.methods import methods_paragraph
    from testpaths import REPO

    ecg = config.load(REPO / "configs/ecg/inter-patient.yaml").to_dict()
    text = methods_paragraph(ecg, {"protocol": "DS1 folds"})["text"]
    assert "0.25 s before to 0.4 s after the R peak" in text and "patient-relative RR, P-wave" in text
    assert "probability of S comes from a linear model of the RR-input features alone" in text
    assert "beat path decides V first" in text  # model.morphology_first: [V]
    assert "median beat" in text and "de Chazal" in " ".join(methods_paragraph(ecg, {})["references"])
    smoke = config.load(REPO / "configs/smoke.yaml").to_dict()
    assert "Beats:" not in methods_paragraph(smoke, {})["text"]  # not ECG data: no beat sentence
    assert "10 most similar beats of the same record" in text and "except S" in text
    assert "most similar beats" not in methods_paragraph(smoke, {})["text"]
