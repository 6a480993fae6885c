"""`seqlab reproduce`: protocol lookup, the DS2-missing stop, the papers' table."""

from seqlab.cli.main import main
from seqlab.evaluation.reference import reference_table


def test_inter_patient_stops_naming_the_missing_test_records(shared_data, data_root, capsys):
    code = main(["reproduce", "inter-patient", "--data-dir", str(shared_data / "mitdb")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "232" in err and "--cv-only" in err  # a DS2 record is named, and the way forward


def test_unknown_protocol_suggests_the_close_one(capsys):
    assert main(["reproduce", "kachuee-intr"]) == 2
    assert "did you mean 'kachuee-intra'" in capsys.readouterr().err


def test_reference_table_puts_papers_beside_ours():
    metrics = {"classes": ["N", "S"], "accuracy": 0.95, "macro_f1": 0.8,
               "per_class": {"N": {"sensitivity": 0.99, "ppv": 0.97, "f1": 0.98},
                             "S": {"sensitivity": 0.5, "ppv": 0.6, "f1": 0.55}}}
    ref = {"Paper 2004": {"source": "Someone 2004", "accuracy": 0.9, "per_class": {"S": {"sensitivity": 0.759}}}}
    table = reference_table(metrics, ref)
    assert "Paper 2004" in table and "75.9" in table and "95.0" in table and "Someone 2004" in table
    assert "N Se" not in table  # rows only where a paper reports the figure
