"""Triage: categories, priority, figures of speech, misspellings, mixed languages, explanations."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
import yaml

from flows.language import LOCALES
from flows.triage.classify import PRIORITY, default_lexicon, triage
from flows.triage.lexicon import (
    CATEGORIES,
    Lexicon,
    LexiconError,
    _first_within,
    _PartMatch,
    read_lexicon,
)
from flows.triage.model import FEATURE_VERSION, LONGEST_SURE_WORDS, Classifier
from flows.triage.text import fold_word, read_words, skeleton


def category(text: str, locale: str | None = None) -> str | None:
    return triage(text, locale=locale).category


# -- the six categories, in the ways people write ------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want to disappear for good", "self-harm"),
        ("tired of living", "self-harm"),
        ("took all my pills", "self-harm"),
        ("he said he will kill me", "violence"),
        ("my stepfather touches me", "child-at-risk"),
        ("we sleep outside tonight", "homeless-tonight"),
        ("the kids haven't eaten since yesterday", "no-food"),
        ("my husband isnt breathing", "medical"),
        ("jag vill inte leva längre", "self-harm"),
        ("pappa slår min lillebror", "child-at-risk"),
        ("بدي انتحر", "self-harm"),
        ("امشب جای خواب نداریم", "homeless-tonight"),
        ("carruurtu wax ma cunin", "no-food"),
        ("ክቐትለኪ እየ ኢሉኒ", "violence"),
        ("не може дихати", "medical"),
        ("mies uhkailee tappaa mut", "violence"),
    ],
)
def test_flags_each_category_in_several_languages(text: str, expected: str) -> None:
    result = triage(text)
    assert result.urgent
    assert result.category == expected, result.explanation


def test_priority_is_documented_and_applied() -> None:
    assert PRIORITY[:3] == ("self-harm", "medical", "child-at-risk")
    assert set(PRIORITY) == set(CATEGORIES)
    both = triage("he hits me and he hits the kids too", locale="en")
    assert both.category == "child-at-risk"
    assert "violence" in both.categories
    overdose = triage("i took all my pills and now i cant breathe", locale="en")
    assert overdose.categories[:2] == ("self-harm", "medical")


def test_ordinary_questions_are_not_urgent() -> None:
    for text in ("hur ansöker jag om försörjningsstöd", "what time does the reception open",
                 "كيف بقدم على المساعدة المالية", "miten haen toimeentulotukea", ""):
        result = triage(text)
        assert not result.urgent, result.explanation
        assert result.category is None
        assert result.categories == ()


# -- figures of speech and negation: explicit, explained, and local ------------------------


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("lol i'm dying of laughter", "en"),
        ("he beat me at chess", "en"),
        ("this homework is killing me", "en"),
        ("I'm starving, what's for dinner?", "en"),
        ("i could kill for a coffee", "en"),
        ("den här läxan tar livet av mig", "sv"),
        ("han slog mig i schack", "sv"),
        ("jag är inte hemlös", "sv"),
        ("ingen slår mig, jag vill prata om skilsmässa", "sv"),
        ("متت من الضحك", "ar"),
        ("از خنده مردم", "fa_AF"),
        ("qosol ayaan u dhintay", "so"),
        ("ብሰሓቕ ሞይተ", "ti"),
        ("ця домашка мене вбиває", "uk"),
        ("tää läksy tappaa mut", "fi"),
    ],
)
def test_figures_of_speech_and_negations_are_not_emergencies(text: str, locale: str) -> None:
    result = triage(text, locale=locale)
    assert not result.urgent, result.explanation


def test_a_cancelled_alarm_is_explained_with_the_reason() -> None:
    result = triage("han slog mig i schack igen", locale="sv")
    assert not result.urgent
    assert result.ignored
    assert "game" in result.ignored[0].reason
    assert "not violence" in result.explanation


def test_a_figure_of_speech_does_not_hide_a_real_alarm_beside_it() -> None:
    result = triage("lol dying of laughter at work but honestly i want to die", locale="en")
    assert result.category == "self-harm", result.explanation
    hungry_kids = triage("I'm starving, what's for dinner? the kids haven't eaten since monday")
    assert hungry_kids.category == "no-food"


def test_light_context_is_needed_for_hunger_to_be_ordinary() -> None:
    assert category("I'm starving", "en") == "no-food"
    assert category("I'm starving, what's for dinner?", "en") is None


# -- spelling: misspellings, missing diacritics, stretched letters, words run together --------


@pytest.mark.parametrize(
    "text",
    [
        "sjävlmordstankar",  # letters swapped
        "sjalvmord",  # no å/ä/ö
        "själv mord",  # compound written apart
        "i want to kill myselfff",  # stretched
        "thinking about suicde",  # letter missing
        "my ex keeps threatning me",  # letter missing
        "SJÄLVMORD",
    ],
)
def test_misspellings_and_missing_diacritics_are_caught(text: str) -> None:
    result = triage(text)
    assert result.urgent, text


def test_the_explanation_says_when_a_word_was_misspelled() -> None:
    result = triage("sjävlmordstankar", locale="sv")
    assert result.evidence[0].how == "misspelled"
    assert "misspelling" in result.explanation


def test_arabic_and_dari_spelling_variants_fold_together() -> None:
    assert fold_word("أنتحر") == fold_word("انتحر")
    assert fold_word("می‌خواهم") == fold_word("میخواهم")
    assert fold_word("١١") == "11"
    assert category("وبالسكين هددني", "ar") == "violence"


def test_geez_homophones_and_vowel_errors_are_tolerated() -> None:
    assert fold_word("ሠ") == fold_word("ሰ")
    assert skeleton(fold_word("ቐቲሉ")) == skeleton(fold_word("ቀተለ"))
    assert category("ሰብኣየይ ይወቕዓኒ", "ti") == "violence"


def test_words_keep_their_place_and_clause_breaks() -> None:
    words = read_words("I can't, he b'є me")
    assert [w.folded for w in words] == ["i", "cant", "he", "bє", "me"]
    assert words[2].after_break and not words[1].after_break
    assert words[1].text == "can't"


# -- mixed languages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jag är så tired of living asså", "self-harm"),
        ("ما عندي boende الليلة", "homeless-tonight"),
        ("socialjouren?? he said he will kill me", "violence"),
        ("hjälp my husband beat me", "violence"),
        ("barnen hungry no food", "no-food"),
    ],
)
def test_mixed_languages_are_caught_with_every_lexicon(text: str, expected: str) -> None:
    assert category(text) == expected


def test_the_evidence_names_the_lexicon_each_phrase_came_from() -> None:
    result = triage("hjälp, he said he will kill me", locale="sv")
    assert result.language == "sv"
    assert {e.lexicon for e in result.evidence} == {"en"}


# -- result shape, language and explanation ------------------------------------------------


def test_result_carries_language_explanation_and_contract_json() -> None:
    result = triage("vi har ingen mat hemma", locale="sv")
    assert result.as_json() == {
        "urgent": True, "category": "no-food", "language": "sv", "level": "urgent"
    }
    assert result.evidence[0].words == "ingen mat"
    assert "'ingen mat'" in result.explanation
    assert "(sv)" in result.explanation


def test_language_is_detected_or_defaults_to_swedish() -> None:
    assert triage("I have a question about my appointment").language == "en"
    assert triage("ሰላም").language == "ti"
    assert triage("12345 !!!").language == "sv"
    assert triage("hej", locale="fi").language == "fi"


def test_unknown_locale_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown locale"):
        triage("hej", locale="de")


# -- the vocabulary files -------------------------------------------------------------------


def test_shipped_vocabulary_covers_every_language() -> None:
    assert default_lexicon().languages == tuple(sorted(LOCALES))


def _lexicon(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "language": "en",
        "urgent": {c: ["kill myself"] for c in CATEGORIES},
    }
    base.update(changes)
    return base


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"language": "de"}, "x.yaml: language: 'de'"),
        ({"urgent": {"self-harm": ["die"]}}, "x.yaml: urgent.medical: missing"),
        ({"urgent": {**{c: ["a"] for c in CATEGORIES}, "sad": ["a"]}}, "urgent.sad: unknown"),
        ({"urgent": {**{c: ["a"] for c in CATEGORIES}, "medical": ["@nope x"]}},
         "x.yaml: urgent.medical[0]: unknown class @nope"),
        ({"urgent": {**{c: ["a"] for c in CATEGORIES}, "medical": ["{a|b"]}},
         "urgent.medical[0]: unclosed brace"),
        ({"urgent": {**{c: ["a"] for c in CATEGORIES}, "medical": ["{a||b}"]}},
         "urgent.medical[0]: empty alternative"),
        ({"exceptions": [{"phrase": "dying of laughter"}]},
         "x.yaml: exceptions[0].reason: say why"),
        ({"exceptions": [{"phrase": "x", "reason": "y", "cancels": ["sad"]}]},
         "exceptions[0].cancels: unknown category 'sad'"),
        ({"stemming": "yes"}, "x.yaml: stemming: must be true or false"),
        ({"colour": "red"}, "x.yaml: unknown key 'colour'"),
    ],
)
def test_vocabulary_errors_name_the_file_and_the_key(changes: dict[str, object],
                                                     message: str) -> None:
    with pytest.raises(LexiconError) as caught:
        Lexicon({"x.yaml": _lexicon(**changes)})
    assert message in str(caught.value)


def test_two_files_for_one_language_are_refused() -> None:
    with pytest.raises(LexiconError, match=r"b\.yaml: language: en is also in a\.yaml"):
        Lexicon({"a.yaml": _lexicon(), "b.yaml": _lexicon()})


def test_a_broken_yaml_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "en.yaml").write_text("urgent: [unclosed", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"en\.yaml: cannot be read"):
        read_lexicon(tmp_path)


def test_a_class_can_be_one_alternative_among_words(tmp_path: Path) -> None:
    data = _lexicon(classes={"pets": ["hamster", "kanin"]},
                    urgent={**{c: ["zzqx"] for c in CATEGORIES},
                            "medical": ["{katten|@pets} andas inte"]})
    (tmp_path / "en.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                      encoding="utf-8")
    lexicon = read_lexicon(tmp_path)
    for text in ("katten andas inte", "min kanin andas inte"):
        assert triage(text, locale="sv", lexicon=lexicon).category == "medical", text
    # The vocabulary alone: the shipped model would rightly worry about "andas inte".
    assert not triage("pets andas inte", locale="sv", lexicon=lexicon, classifier=None).urgent


def test_a_staff_added_phrase_works_without_code(tmp_path: Path) -> None:
    data = _lexicon(urgent={**{c: ["zzqx"] for c in CATEGORIES},
                            "no-food": ["{tomt|inget} i skafferiet"]})
    (tmp_path / "en.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                      encoding="utf-8")
    lexicon = read_lexicon(tmp_path)
    assert triage("det är tomt i skafferiet", locale="sv", lexicon=lexicon).category == "no-food"


# -- a rule of meaning with its own exceptions ("unless") ------------------------------------


def _with_concept(rule: object, **changes: object) -> Lexicon:
    """A lexicon: English words for three classes, and one rule of meaning made of them."""
    words = _lexicon(
        classes={"pain": ["zorbache"], "now": ["right now", "since an hour"],
                 "over": ["years ago", "in 2019", "all fine now"]},
        **changes,
    )
    return Lexicon({"x.yaml": words,
                    "concepts.yaml": {"language": "any", "urgent": {"medical": [rule]}}})


UNLESS_RULE = {"phrase": "@pain & @now", "unless": ["@over"], "reason": "a pain that is over"}


def test_a_rule_of_meaning_does_not_fire_where_its_own_exception_governs_it() -> None:
    lexicon = _with_concept(UNLESS_RULE)

    def judged(text: str) -> tuple[str, tuple[str, ...]]:
        result = triage(text, locale="en", lexicon=lexicon, classifier=None)
        return result.level, tuple(i.reason for i in result.ignored)

    assert judged("dad has zorbache right now") == ("urgent", ())
    # In its clause and near: the rule is set aside, with the reason.
    assert judged("dad had zorbache years ago and right now he needs a ride") == (
        "calm", ("a pain that is over",))
    # The rule spans a comma: the past may speak of its first half only.
    assert judged("in 2019 dad had zorbache, right now he is fine") == ("urgent", ())
    assert judged("right now dad has zorbache all fine now") == ("calm", ("a pain that is over",))
    # Another clause, or further than a calming signal reaches: the rule stands.
    assert judged("dad had it years ago. right now he has zorbache") == ("urgent", ())
    assert judged("years ago we came here and then later on dad got zorbache right now") == (
        "urgent", ())


def test_a_rule_exception_never_silences_another_alarm() -> None:
    lexicon = _with_concept(UNLESS_RULE)
    result = triage("kill myself, zorbache right now years ago", locale="en", lexicon=lexicon,
                    classifier=None)
    assert result.level == "urgent"
    assert result.categories == CATEGORIES  # "kill myself" is every category's phrase here
    assert [i.evidence.phrase for i in result.ignored] == ["@pain & @now"]
    # The same words under a rule without the exception still alarm.
    both = Lexicon({"x.yaml": _lexicon(classes={"pain": ["zorbache"], "now": ["right now"],
                                                "over": ["years ago"]}),
                    "concepts.yaml": {"language": "any", "urgent": {
                        "medical": [UNLESS_RULE], "violence": ["@pain & @now"]}}})
    other = triage("zorbache right now years ago", locale="en", lexicon=both, classifier=None)
    assert (other.level, other.categories) == ("urgent", ("violence",))


def test_a_rule_exception_is_written_in_any_file_and_looked_for_only_beside_its_rule() -> None:
    lexicon = Lexicon({"x.yaml": _lexicon(
        classes={"over": ["years ago"]},
        urgent={**{c: ["zzqx"] for c in CATEGORIES},
                "medical": [{"phrase": "zorbache", "unless": ["@over", "long ago"],
                             "reason": "over"}]})})
    assert not triage("zorbache long ago", locale="en", lexicon=lexicon, classifier=None).caught
    assert triage("zorbache", locale="en", lexicon=lexicon, classifier=None).urgent
    # Without an alarm that has them, the unless phrases are not looked for at all.
    words = read_words("years ago long ago")
    assert lexicon.find(words).unless == []
    assert [f.phrase.source for f in lexicon.find(read_words("zorbache years ago")).unless] == [
        "@over"]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"phrase": "@pain", "unless": ["@over"]}, "urgent.medical[0].reason: say why"),
        ({"phrase": "@pain", "reason": "r"}, "urgent.medical[0].unless: a rule written"),
        ({"phrase": "@pain", "unless": [], "reason": "r"}, "urgent.medical[0].unless: must not"),
        ({"phrase": "@pain", "unless": ["@nope"], "reason": "r"},
         "urgent.medical[0].unless[0]: unknown class @nope"),
        ({"phrase": "@pain", "unless": ["@over"], "reason": "r", "when": ["x"]},
         "urgent.medical[0]: unknown key 'when'"),
        ({"unless": ["@over"], "reason": "r"}, "urgent.medical[0].phrase: must be"),
        (["@pain"], "urgent.medical[0]: must be a non-empty text, or a mapping"),
    ],
)
def test_a_malformed_rule_exception_is_named(rule: object, message: str) -> None:
    with pytest.raises(LexiconError) as caught:
        _with_concept(rule)
    assert f"concepts.yaml: {message}" in str(caught.value)


HEART, SPIKED = "@chest-pain & ", "@spiked & {@unwell"
SEXTORTION, DESPAIR = "@intimate-pics & @spread-threat", "@intimate-pics & @spread-threat & {@desp"
GOODBYE, MISSING = "@said-goodbye & @unreachable", "@kids & {@gone-missing|@not-come-home}"


@pytest.mark.parametrize(
    ("text", "locale", "category", "rule"),
    [
        ("my dad has pressure on his chest and his left arm is numb", "en", "medical", HEART),
        ("pappa har tryck över bröstet och det strålar ut i vänster arm", "sv", "medical", HEART),
        ("ابي عنده ضغط بصدره وايده الشمال منملة", "ar", "medical", HEART),
        ("aabahay laabta ayaa i cadaadinaysa oo gacanta bidix way kabuubyootay", "so", "medical",
         HEART),
        ("у тата тисне в грудях і ліва рука німіє", "uk", "medical", HEART),
        ("I think my husband is having a heart attack right now", "en", "medical", "@heart-attack"),
        ("someone put something in my drink and now i feel really weird", "en", "medical", SPIKED),
        ("någon hällde något i min drink och nu snurrar allt", "sv", "medical", SPIKED),
        ("یک چیز ده گیلاسم انداختن و حالی سرم چرخ میخوره", "fa_AF", "medical", SPIKED),
        ("ገለ ኣብ መስተይ ኣእትዮምለይ ሕጂ ኩሉ ይዘውር", "ti", "medical", SPIKED),
        ("my ex threatens to send my pictures to my family", "en", "violence", SEXTORTION),
        ("han hotar att sprida mina nakenbilder, mitt liv är förstört", "sv", "self-harm", DESPAIR),
        ("yks jätkä uhkaa levittää mun alastonkuvat jos en maksa, mun elämä on pilalla", "fi",
         "self-harm", DESPAIR),
        ("في واحد عم يهددني ينشر صوري لاهلي اذا ما دفعت، حياتي انتهت", "ar", "self-harm", DESPAIR),
        ("my brother wrote me goodbye and now he is not answering", "en", "self-harm", GOODBYE),
        ("sisko kirjoitti hyvästit ja nyt puhelin on kiinni", "fi", "self-harm", GOODBYE),
        ("сестра попрощалася в телеграмі і тепер не відповідає", "uk", "self-harm", GOODBYE),
        ("walaashay fariin nabadgelyo ayay ii soo dirtay hadda telefoonkeeda waa dansan tahay", "so",
         "self-harm", GOODBYE),
        ("My son 12 not come home from school and his phone is off", "en", "child-at-risk", MISSING),
        ("min son 12 har inte kommit hem från skolan och svarar inte i telefon", "sv",
         "child-at-risk", MISSING),
        ("ابني عمره ١٣ ما رجع من المدرسة وتلفونه مسكر", "ar", "child-at-risk", MISSING),
        ("پسرم ۱۲ ساله از مکتب خانه نیامده و تلفونش خاموش اس", "fa_AF", "child-at-risk", MISSING),
        ("ወደይ 12 ዓመቱ ካብ ቤት ትምህርቲ ኣይተመልሰን ደዊለ ኣይመልስን", "ti", "child-at-risk", MISSING),
        ("син 13 років не прийшов зі школи і телефон вимкнений", "uk", "child-at-risk", MISSING),
    ],
)
def test_shared_rules_of_meaning_catch_new_dangers_in_every_language(
        text: str, locale: str, category: str, rule: str) -> None:
    result = triage(text, locale=locale, classifier=None)
    assert result.category == category, result.explanation
    assert any(e.lexicon == "any" and e.phrase.startswith(rule) for e in result.evidence), (
        result.explanation)


@pytest.mark.parametrize(
    ("text", "locale", "rule"),
    [
        # A finished past.
        ("dad had a heart attack in 2019 and now needs help with shopping", "en", "@heart-attack"),
        ("pappa fick en hjärtinfarkt för två år sen och nu behöver han hemtjänst", "sv",
         "@heart-attack"),
        ("aabahay wadne qabad ayuu ku dhacay laba sano ka hor hadda caawimaad guriga ayuu u baahan "
         "yahay", "so", "@heart-attack"),
        ("last year someone spiked my drink and i felt dizzy, is there support for that", "en",
         SPIKED),
        ("بنتي اختفت من امبارح وما عم ترد بس الحمدلله لقيناها", "ar", MISSING),
        ("gabadhayda xalay guriga kuma seexan telefoonkeeda waa xiran yahay laakin waa la helay",
         "so", MISSING),
        ("min son har inte kommit hem och svarade inte men polisen hittade honom", "sv", MISSING),
        # A figure of speech.
        ("nearly had a heart attack when I saw the electricity bill now what", "en",
         "@heart-attack"),
        ("нарешті: мало не отримала інфаркт коли побачила рахунок зараз", "uk", "@heart-attack"),
        # A question in general.
        ("what are the signs of a heart attack and chest pain now", "en", HEART),
    ],
)
def test_a_finished_past_a_figure_or_a_general_question_sets_a_rule_of_meaning_aside(
        text: str, locale: str, rule: str) -> None:
    result = triage(text, locale=locale, classifier=None)
    assert not any(e.lexicon == "any" and e.phrase.startswith(rule) for e in result.evidence), (
        result.explanation)
    # Set aside, and said why (by the rule's own exception, or by a language's that covers it).
    assert any(i.evidence.phrase.startswith(rule) for i in result.ignored), result.explanation


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("tapaa meidät videolla", "fi"),  # "meet us", which shares a stem with "kill"
        ("voinko tavata sosiaalityöntekijän huomenna", "fi"),
        ("stöd för barn och ensamhet i området", "sv"),  # loneliness, not a child alone
        ("nämä lapset ja yksinäisyys", "fi"),
    ],
)
def test_words_that_only_look_like_alarm_words_stay_calm(text: str, locale: str) -> None:
    result = triage(text, locale=locale)
    assert not result.urgent, result.explanation


def _model_that_fears(word: str) -> Classifier:
    """A model that finds ``word`` very likely self-harm and everything else calm."""
    classes = ["calm", *CATEGORIES]
    weights = {f"w {word}": [0.0] * len(classes)}
    weights[f"w {word}"][classes.index("self-harm")] = 12.0
    return Classifier({
        "format": "nara-triage-model", "feature_version": FEATURE_VERSION,
        "classes": classes, "bias": [6.0] + [0.0] * len(CATEGORIES),
        "thresholds": {"ask": 0.5, "urgent": 0.8, "calm": 0.5}, "weights": weights,
    })


def test_the_model_alone_judges_a_phone_length_message_urgent_but_only_asks_about_a_long_one(
) -> None:
    model = _model_that_fears("zebrafara")
    short = "i am thinking about zebrafara tonight again"
    story = " ".join(["we talked about the rent and the school trip for a while"] * 12)
    long_story = f"{story} and zebrafara"
    assert triage(short, locale="en", classifier=model).level == "urgent"
    assert len(long_story.split()) > LONGEST_SURE_WORDS
    assert triage(long_story, locale="en", classifier=model).level == "ask"
    assert triage(story, locale="en", classifier=model).level == "calm"


def test_the_parts_of_a_phrase_are_combined_as_trying_every_combination_would() -> None:
    # The search for parts within the window drops choices already too wide; it must
    # still pick the combination itertools.product meets first (the explanation names it).
    rng = random.Random(7)

    def first_of_all(matches: list[list[_PartMatch]], window: int) -> tuple[_PartMatch, ...] | None:
        for combination in itertools.product(*matches):
            positions = [p for match in combination for p in match[0]]
            if max(positions) - min(positions) < window:
                return combination
        return None

    found = 0
    for _ in range(3000):
        matches = []
        for _ in range(rng.randint(2, 4)):
            part = []
            for _ in range(rng.randint(1, 6)):
                start = rng.randint(0, 40)
                positions = tuple(sorted(rng.sample(range(start, start + 12), rng.randint(1, 4))))
                part.append((positions, tuple(rng.choice(("exact", "stem")) for _ in positions)))
            matches.append(sorted(part))
        window = rng.choice((10, 14))
        expected = first_of_all(matches, window)
        assert _first_within(matches, window) == expected, (matches, window)
        found += expected is not None
    assert 500 < found < 2500  # both outcomes well represented
