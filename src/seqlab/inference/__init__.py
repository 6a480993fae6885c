"""What runs a trained run without Lightning: loading, probabilities, post-processing, evaluation
and ECG prediction (the path `seqlab predict`, exports and the web page share)."""
