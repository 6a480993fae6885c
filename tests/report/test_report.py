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
