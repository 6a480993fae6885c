"""Linear text models explained in their own n-grams."""

import numpy as np
import pytest

from seqlab.data.text.analysers import TEXT_ANALYSERS
from seqlab.errors import ConfigError
from seqlab.inference.linear_terms import text_contributions, top_terms
from seqlab.models.catalog import MODELS

TEXTS = np.array(["great film, wonderful acting", "wonderful and great", "a great story",
                  "terrible plot, awful acting", "awful, boring and terrible", "boring story"] * 5, dtype=object)
Y = np.array([1, 1, 1, 0, 0, 0] * 5)


@pytest.mark.parametrize("name", ["tfidf_lr", "nblr", "count_nb", "tfidf_union_lr"])
def test_top_terms_put_the_sentiment_words_at_the_right_ends(name):
    model = MODELS.get(name).fn(analysers=TEXT_ANALYSERS).fit(TEXTS, Y)
    top = top_terms(model, ["neg", "pos"], k=3)
    pos_words, neg_words = " ".join(t for t, _ in top["pos"]), " ".join(t for t, _ in top["neg"])
    assert any(w in pos_words for w in ("great", "wonderful")) and any(w in neg_words for w in ("awful", "terrible", "boring"))
    assert top["pos"][0][1] > 0 > top["neg"][0][1]


def test_contributions_of_one_review_name_its_own_words():
    model = MODELS.get("tfidf_lr").fn(analysers=TEXT_ANALYSERS).fit(TEXTS, Y)
    contrib = dict(text_contributions(model, "a wonderful film"))
    assert "wonderful" in contrib and contrib["wonderful"] > 0 and "terrible" not in contrib


def test_a_vote_of_models_has_no_term_weights():
    model = MODELS.get("soft_vote").fn(members=[{"model": "tfidf_lr"}, {"model": "count_nb"}],
                                       analysers=TEXT_ANALYSERS).fit(TEXTS, Y)
    with pytest.raises(ConfigError, match="term weights exist for the linear text models"):
        top_terms(model, ["neg", "pos"])
