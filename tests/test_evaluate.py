"""evaluate(): scores what pipeline() returns on the raw text, long texts included."""
from incident_roles.evaluation.evaluate import evaluate

SENTENCE = "Ruritanian commandos raided a border post and killed three guards. "


def test_a_text_over_512_subtokens_is_scored_to_its_end(eager_model):
    text = SENTENCE * 60
    at = text.rindex("Ruritanian")  # a gold span in the last sentence, far past the first window
    record = {"id": "long", "text": text, "spans": [{"start": at, "end": at + len("Ruritanian"), "label": "ATTACKER"}]}
    scores, preds = evaluate(eager_model, [record], return_predictions=True)
    assert scores["documents"] == 1 and scores["strict"]["micro"]["support"] == 1
    assert preds[0], "the eager model tags the long text"
    assert max(s["end"] for s in preds[0]) > len(text) * 0.95
    # a prediction over the gold span in the last sentence means the last window was read
    assert any(s["start"] <= at < s["end"] or at <= s["start"] < at + 10 for s in preds[0])


def test_word_cuts_counts_entities_that_start_or_end_inside_a_word():
    from incident_roles.evaluation.evaluate import word_cuts

    text = "Iranian forces shelled Kurdish villages"

    def fake_pipe(texts, batch_size=8):  # pipeline()'s output shape: one entity list per text
        return [[{"start": 0, "end": 7}, {"start": 8, "end": 11}, {"start": 25, "end": 31},
                 {"start": 23, "end": 30}]]

    assert word_cuts(fake_pipe, [text, "   "]) == {"aggregation_strategy": "first", "entities": 4,
                                                  "cutting_a_word": 2}
