"""Text processing shared by the text datasets and the classical text models: cleaning,
stopwords, Korean morphemes. No data loading here, so ``models`` may import it."""
