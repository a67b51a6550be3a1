"""Claims: table and record validation, the study split, TF-IDF, stress copies, metrics and the leakage audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from viewcast.claims.data import COUNTS, TEXT, VideoRecord, labels_to_int, load_claims, parse_json, request_frame
from viewcast.claims.evaluation import classification_metrics, drop_opening, inject_typos, shuffle_counts, study_split
from viewcast.claims.leakage import audit_leakage, best_threshold_rule
from viewcast.claims.off_template import off_template_set
from viewcast.claims.text import TfidfNgrams, ngram_table, telling_terms, token_table
from viewcast.errors import DataValidationError
from viewcast.synth.claims import generate_claims, write_claims

RECORD = {
    "video_transcription_text": "my friends think that cats are great",
    "verified_status": "not verified",
    "author_ban_status": "active",
    "video_view_count": 100,
    "video_like_count": 10,
    "video_share_count": 1,
    "video_download_count": 0,
    "video_comment_count": 0,
}


def test_load_synthetic_table_types_and_labels(tmp_path):
    write_claims(tmp_path / "c.csv", n=40, seed=1)
    frame = load_claims(tmp_path / "c.csv")
    assert len(frame) == 40 and frame[list(COUNTS)].dtypes.eq(float).all()
    assert labels_to_int(frame).sum() == 20  # opinion = 1, half of the rows


def test_load_rejects_bad_cells_naming_row_and_column(tmp_path):
    frame = generate_claims(20, seed=0)
    frame.loc[3, "video_like_count"] = -5
    frame.to_csv(tmp_path / "neg.csv", index=False)
    with pytest.raises(DataValidationError, match=r"row 5, column 'video_like_count': negative"):
        load_claims(tmp_path / "neg.csv")
    frame = generate_claims(20, seed=0).drop(columns=["author_ban_status"])
    frame.to_csv(tmp_path / "missing.csv", index=False)
    with pytest.raises(DataValidationError, match="missing column 'author_ban_status'"):
        load_claims(tmp_path / "missing.csv")
    frame = generate_claims(20, seed=0)
    frame.loc[0, "claim_status"] = "rumour"
    frame.to_csv(tmp_path / "label.csv", index=False)
    with pytest.raises(DataValidationError, match="'rumour' is not one of claim, opinion"):
        load_claims(tmp_path / "label.csv")


def test_blank_unlabelled_rows_are_dropped_but_missing_counts_are_not(tmp_path):
    frame = generate_claims(20, seed=0).astype(object)
    frame.loc[2, ["claim_status", "video_transcription_text", *COUNTS]] = None
    frame.to_csv(tmp_path / "blank.csv", index=False)
    loaded = load_claims(tmp_path / "blank.csv")
    assert len(loaded) == 19 and loaded.attrs["dropped_unlabelled"] == 1
    frame.loc[5, "video_view_count"] = None
    frame.to_csv(tmp_path / "hole.csv", index=False)
    with pytest.raises(DataValidationError, match="row 7, column 'video_view_count': value is missing"):
        load_claims(tmp_path / "hole.csv")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"video_view_count": -3}, "'video_view_count': Input should be greater than or equal to 0"),
        ({"video_like_count": "many"}, "'video_like_count': Input should be a valid number"),
        ({"video_like_count": "12"}, "'video_like_count': Input should be a valid number"),  # counts are JSON numbers
        ({"video_share_count": True}, "'video_share_count': Input should be a valid number"),
        ({"video_share_count": None}, "'video_share_count': Input should be a valid number"),
        ({"video_view_count": 10**400}, "'video_view_count': a 401-digit number is beyond 1e\\+15"),
        ({"video_view_count": 2e15}, "'video_view_count': Input should be less than or equal to 1000000000000000"),
        ({"video_view_count": float("nan")}, "'video_view_count': Input should be a finite number"),
        ({"video_view_count": float("inf")}, "'video_view_count': Input should be a finite number"),
        ({"video_transcription_text": 42}, "'video_transcription_text': Input should be a valid string"),
        ({"video_transcription_text": "x" * 50_001}, "'video_transcription_text': String should have at most 50000"),
        ({"verified_status": ["x"]}, "'verified_status': Input should be a valid string"),
        ({"claim_status": "rumour"}, "'claim_status': Input should be 'claim' or 'opinion'"),
        ({"views": 3}, "'views': unknown field"),
    ],
)
def test_record_validation_names_the_field(change, message):
    with pytest.raises(DataValidationError, match=message) as raised:
        request_frame({**RECORD, **change})
    assert raised.value.param == "request"
    with pytest.raises(DataValidationError, match=f"record 2, field {message}"):
        request_frame([RECORD, {**RECORD, **change}])


def test_record_missing_fields_listed_and_empty_text_accepted():
    record = {k: v for k, v in RECORD.items() if k not in ("video_comment_count", "author_ban_status")}
    with pytest.raises(DataValidationError, match="missing fields 'author_ban_status', 'video_comment_count'"):
        request_frame(record)
    row, shape = request_frame({**RECORD, "video_transcription_text": None, "verified_status": " Weird", "#": 7})
    assert shape == "record" and row.loc[0, TEXT] == "" and row.loc[0, "verified_status"] == "weird"
    assert list(row.columns) == ["video_transcription_text", "verified_status", "author_ban_status", *COUNTS]
    assert row[list(COUNTS)].dtypes.eq(float).all() and row.loc[0, "video_view_count"] == 100.0


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ([], "the batch has no records"),
        ("a video", "expected one video .* got str"),
        (7, "expected one video .* got int"),
        ([RECORD, [RECORD]], "record 2: expected a JSON object"),
        (pd.DataFrame(), "the batch has no rows"),
        (pd.DataFrame([RECORD]).drop(columns=["author_ban_status"]), "missing column 'author_ban_status'"),
        (pd.DataFrame([RECORD]).assign(video_view_count=-1.0), "row 2, column 'video_view_count': negative"),
        (pd.DataFrame([RECORD]).assign(video_view_count=np.inf), "row 2, column 'video_view_count': .*beyond 1e\\+15"),
        (pd.DataFrame([RECORD]).assign(video_view_count=np.nan), "row 2, column 'video_view_count': value is missing"),
    ],
)
def test_bad_requests_are_refused_naming_where(request_, message):
    with pytest.raises(DataValidationError, match=message):
        request_frame(request_)


def test_a_record_table_and_a_frame_give_the_same_model_inputs():
    records = [RECORD, {**RECORD, "video_view_count": 5.5, "verified_status": "Verified"}]
    from_records, shape = request_frame(records)
    from_frame, frame_shape = request_frame(pd.DataFrame(records).assign(extra_column="ignored"))
    assert (shape, frame_shape) == ("records", "frame")
    pd.testing.assert_frame_equal(from_records, from_frame[from_records.columns], check_dtype=False)


def test_the_record_schema_states_its_bounds():
    schema = VideoRecord.model_json_schema()
    views = schema["properties"]["video_view_count"]
    assert views["minimum"] == 0 and views["maximum"] == 1e15 and views["type"] == "number"
    assert schema["additionalProperties"] is False and set(schema["required"]) == {
        "video_transcription_text",
        "verified_status",
        "author_ban_status",
        *COUNTS,
    }
    assert "#" in schema["properties"]  # the study's row number is accepted under its own name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": NaN}', "NaN is not a JSON number"),
        ('{"a": -Infinity}', "-Infinity is not a JSON number"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ('{"a": 1', "not valid JSON"),
        ("9" * 5000, "not valid JSON"),
    ],
)
def test_strict_json_parsing(text, message):
    with pytest.raises(DataValidationError, match=message):
        parse_json(text)


def test_tables_refuse_long_texts_and_huge_counts(tmp_path):
    frame = generate_claims(20, seed=0)
    frame.loc[4, TEXT] = "word " * 20_000
    with pytest.raises(DataValidationError, match="row 6, column 'video_transcription_text': text of 100,000 characters"):
        load_claims(frame)
    frame = generate_claims(20, seed=0).astype(object)
    frame.loc[2, "video_like_count"] = "9" * 400
    frame.to_csv(tmp_path / "huge.csv", index=False)
    with pytest.raises(DataValidationError, match="row 4, column 'video_like_count': .* beyond 1e\\+15"):
        load_claims(tmp_path / "huge.csv")


def test_study_split_matches_two_calls_of_train_test_split():
    from sklearn.model_selection import train_test_split

    split = study_split(1000)
    rows = pd.DataFrame({"i": np.arange(1000)})
    rest, test = train_test_split(rows, test_size=0.2, random_state=1)
    train, val = train_test_split(rest, test_size=0.2, random_state=1)
    np.testing.assert_array_equal(split.test, test["i"].to_numpy())
    np.testing.assert_array_equal(split.train, train["i"].to_numpy())
    np.testing.assert_array_equal(split.val, val["i"].to_numpy())
    assert (len(split.train), len(split.val), len(split.test)) == (640, 160, 200)


def test_tfidf_matches_scikit_learn_formulas():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [
        "My friends' view is that cats purr",
        "a friend read online that cats purr",
        "i think, that dogs bark!",
        "cats cats cats",
    ]
    ours = TfidfNgrams(ngram_max=2, min_df=1, max_features=None).fit(texts)

    def analyzer(text: str) -> list[str]:
        table = token_table([text])
        return [str(g) for n in (1, 2) for g in ngram_table(table, n)[0]]

    theirs = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True).fit(texts)
    assert ours.vocabulary_ == sorted(theirs.vocabulary_)
    np.testing.assert_allclose(ours.transform(texts).toarray(), theirs.transform(texts).toarray(), atol=1e-12)
    assert "friends view" in ours.vocabulary_  # the apostrophe is stripped as Keras does


def test_tfidf_skip_leading_ignores_the_opening_words():
    vectorizer = TfidfNgrams(ngram_max=1, min_df=1, skip_leading=2).fit(["a friend read that x", "my friends think that y"])
    assert "friend" not in vectorizer.vocabulary_ and "read" in vectorizer.vocabulary_ and "think" in vectorizer.vocabulary_
    assert vectorizer.transform([""]).nnz == 0  # empty text: an all-zero row, no error


def test_stress_copies_break_one_shortcut_each():
    frame = generate_claims(200, seed=3)
    no_opening = drop_opening(frame)
    assert all(len(a.split()) == len(b.split()) - 2 for a, b in zip(no_opening[TEXT], frame[TEXT]))
    typos = inject_typos(frame, seed=1)
    changed = np.mean([a != b for a, b in zip(typos[TEXT], frame[TEXT])])
    assert changed > 0.5 and all(len(a.split()) == len(b.split()) for a, b in zip(typos[TEXT], frame[TEXT]))
    shuffled = shuffle_counts(frame, seed=1)
    before = sorted(map(tuple, frame[list(COUNTS)].to_numpy()))
    assert sorted(map(tuple, shuffled[list(COUNTS)].to_numpy())) == before
    assert (shuffled["video_view_count"].to_numpy() != frame["video_view_count"].to_numpy()).mean() > 0.9
    assert (shuffled["claim_status"] == frame["claim_status"]).all()


def test_off_template_counts_contradict_the_labels():
    frame = off_template_set()
    claims = frame["claim_status"] == "claim"
    assert frame.loc[claims, "video_view_count"].max() < 5_000 < 100_000 <= frame.loc[~claims, "video_view_count"].min()
    assert claims.sum() == (~claims).sum() == 45


def test_metrics_with_opinion_as_positive_class():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.1, 0.7, 0.9, 0.8, 0.2])
    m = classification_metrics(y, p)
    assert m["confusion"] == [[1, 1], [1, 2]]
    assert m["accuracy"] == pytest.approx(0.6) and m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    assert m["roc_auc"] == pytest.approx(5 / 6)


def test_best_threshold_rule_finds_the_separating_cut():
    x = np.array([5, 1, 9, 3, 20, 15, 30])
    y = np.array([1, 1, 1, 1, 0, 0, 0])
    assert best_threshold_rule(x, y) == (9.0, 1, 1.0)


def test_telling_terms_are_the_framing_words():
    frame = generate_claims(600, seed=0)
    terms = telling_terms(frame[TEXT], labels_to_int(frame) == 1, ("claim", "opinion"), k=10)
    claim = {t for t, _, _ in terms["claim"]}
    opinion = {t for t, _, _ in terms["opinion"]}
    assert {"read", "learned", "heard"} <= claim and {"our view", "my impression", "believes"} <= opinion
    assert all(score > 0 for _, score, _ in terms["claim"] + terms["opinion"])


def test_audit_flags_the_built_in_shortcuts_and_only_them():
    leaky = {f.check: f for f in audit_leakage(generate_claims(1500, seed=0, leaky=True))}
    assert leaky["one rule on video_view_count"].leak and leaky["one rule on video_view_count"].test_accuracy > 0.99
    assert leaky["# vs label"].leak and "2 runs" in leaky["# vs label"].detail
    assert leaky["duplicate transcripts across splits"].leak  # 18 facts x few frames: many repeats
    openings = [f for f in leaky.values() if f.check.startswith("first") and f.leak]
    assert openings and openings[0].test_accuracy >= 0.95
    assert not leaky["video_id vs label"].leak
    clean = {f.check: f for f in audit_leakage(generate_claims(1500, seed=0, leaky=False))}
    assert not clean["one rule on video_view_count"].leak and clean["one rule on video_view_count"].test_accuracy < 0.7
    assert not clean["# vs label"].leak
