"""Search details: languages, typos, missing diacritics, mixed text, explanations, honesty."""

from __future__ import annotations

import re

import pytest

from flows.catalogue import Catalogue, load_catalogue
from flows.language import LOCALES, detect_language
from flows.search import PASSAGE_WORDS, Hit, SearchResult, index_for, passages, search
from tests.long_messages import RENT_AND_LOST_JOB_EN, RENT_AND_LOST_JOB_SV, TELEGRAM_LONGEST


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def best(result: SearchResult) -> Hit:
    assert result.hits, "expected at least one hit"
    return result.hits[0]


# The acceptance cases of the feature: the same question in three languages.
@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("pengarna räcker inte till mat", "sv"),
        ("Lacagtu kuma filna cuntada", "so"),
        ("Грошей не вистачає на їжу", "uk"),
    ],
)
def test_money_not_enough_for_food_finds_financial_aid(
    catalogue: Catalogue, text: str, language: str
) -> None:
    result = search(catalogue, text)
    assert result.language == language
    assert best(result).service_id == "financial-aid"
    assert result.answered


# Off-topic questions in every language: the bot must say honestly that nothing fits.
OFF_TOPIC = {
    "sv": ["vad kostar en parkeringsbot", "blir det regn i helgen"],
    "en": ["how much is a parking fine", "what's the weather like tomorrow"],
    "ar": ["كم غرامة الوقوف", "كيف الطقس اليوم"],
    "fa_AF": ["جریمه پارکینگ چقدر است", "امروز هوا سرد است؟"],
    "so": ["ganaaxa baarkinka waa imisa", "cimiladu maanta sidee tahay"],
    "ti": ["መቕጻዕቲ ምዕሻግ መኪና ክንደይ እዩ", "ጽባሕ ኣየር ከመይ ክኸውን እዩ"],
    "uk": ["скільки коштує штраф за паркування", "яка погода завтра"],
    "fi": ["paljonko pysäköintisakko maksaa", "sataako huomenna"],
}


@pytest.mark.parametrize(
    ("locale", "text"), [(locale, text) for locale, texts in OFF_TOPIC.items() for text in texts]
)
def test_off_topic_questions_are_not_answered(catalogue: Catalogue, locale: str, text: str) -> None:
    result = search(catalogue, text)
    assert not result.answered, [str(m) for m in result.hits[0].matched]
    assert all(not hit.confident for hit in result.hits)


@pytest.mark.parametrize(
    ("text", "service_id"),
    [
        ("forsorjningsstod", "financial-aid"),
        ("aldreomsorg hemtjanst", "elderly-support"),
        ("forsorjnings stod", "financial-aid"),  # one word typed as two
        ("orosanmalan", "report-concern"),
        ("trygghetsbistand", "continued-contact"),
    ],
)
def test_words_without_diacritics_match(catalogue: Catalogue, text: str, service_id: str) -> None:
    result = search(catalogue, text)
    assert best(result).service_id == service_id
    assert result.answered


@pytest.mark.parametrize(
    ("text", "service_id", "kind"),
    [
        ("problem med kronofodgen", "debt-advice", "fuzzy1"),  # swapped letters
        ("forsörjningstöd", "financial-aid", "fuzzy1"),  # a letter missing
        ("alkohool problem", "addiction-support", "fuzzy1"),
        ("matpengar", "financial-aid", "exact"),
    ],
)
def test_typos_still_match(catalogue: Catalogue, text: str, service_id: str, kind: str) -> None:
    hit = best(search(catalogue, text))
    assert hit.service_id == service_id
    assert kind in {match.kind for match in hit.matched}


def test_compound_words_are_split(catalogue: Catalogue) -> None:
    hit = best(search(catalogue, "hyresskulderna växer", locale="sv"))
    assert hit.service_id == "debt-advice"
    assert any(m.kind == "compound" for m in hit.matched)


def test_swedish_word_inside_another_language_counts(catalogue: Catalogue) -> None:
    text = "كيف أقدم على försörjningsstöd"
    result = search(catalogue, text)
    assert result.language == "ar"
    hit = best(result)
    assert hit.service_id == "financial-aid"
    assert any(m.query_word == "försörjningsstöd" for m in hit.matched)


def test_mixed_script_question_keeps_its_language(catalogue: Catalogue) -> None:
    assert detect_language("ከመይ ገይረ försörjningsstöd ክሓትት እኽእል") == "ti"
    text = "допоможіть будь ласка з forsorjningsstod"
    assert detect_language(text) == "uk"
    result = search(catalogue, text)
    assert result.language == "uk"
    assert best(result).service_id == "financial-aid"


def test_whole_story_finds_the_service(catalogue: Catalogue) -> None:
    story = (
        "Hej. Jag bor med mina två barn. Min sambo blir arg när han druckit och han har "
        "slagit mig flera gånger, senast i lördags. Jag vågar inte säga något. Vad kan jag göra?"
    )
    result = search(catalogue, story)
    assert best(result).service_id == "domestic-violence"
    assert result.answered


def test_every_hit_explains_its_score(catalogue: Catalogue) -> None:
    result = search(catalogue, "min man dricker och slår mig")
    for hit in result.hits:
        assert hit.matched
        assert sum(m.weight for m in hit.matched) == pytest.approx(hit.score, abs=0.01)
        for match in hit.matched:
            assert match.query_word and match.term and match.weight > 0
            assert match.field in ("title", "words", "description")
            assert match.locale in LOCALES
    words = {m.query_word for m in result.hits[0].matched}
    assert words & {"dricker", "slår"}


def test_hits_are_best_first_and_limited(catalogue: Catalogue) -> None:
    result = search(catalogue, "pengar skulder hyra mat barn", limit=5)
    assert len(result.hits) == 5
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert len(search(catalogue, "pengar", limit=1).hits) == 1


def test_given_locale_is_the_result_language(catalogue: Catalogue) -> None:
    result = search(catalogue, "LSS", locale="so")
    assert result.language == "so"
    assert best(result).service_id == "disability-support"


def test_unknown_locale_is_refused(catalogue: Catalogue) -> None:
    with pytest.raises(ValueError, match="unknown locale"):
        search(catalogue, "hej", locale="de")


@pytest.mark.parametrize("text", ["", "   ", "?!", "12345"])
def test_nothing_to_search_gives_no_answer(catalogue: Catalogue, text: str) -> None:
    result = search(catalogue, text)
    assert result.language == "sv"
    assert result.hits == ()
    assert not result.answered


def test_stop_words_alone_match_nothing(catalogue: Catalogue) -> None:
    assert search(catalogue, "jag vill att du ska").hits == ()
    assert search(catalogue, "i want you to").hits == ()


def test_index_is_built_once_per_catalogue(catalogue: Catalogue) -> None:
    assert index_for(catalogue) is index_for(catalogue)


def test_index_is_freed_with_its_catalogue(catalogue: Catalogue) -> None:
    import gc
    import weakref

    copy = Catalogue(catalogue.services)
    index = weakref.ref(index_for(copy))
    assert search(copy, "hemtjänst").hits[0].service_id == "elderly-support"
    del copy
    gc.collect()
    assert index() is None


# -- long messages: a whole story, up to Telegram's 4,096 characters ----------------------

NOISE_SV = "Vad kostar en parkeringsbot? Blir det regn i helgen? "


@pytest.mark.parametrize("story", [RENT_AND_LOST_JOB_SV, RENT_AND_LOST_JOB_EN])
def test_a_long_story_about_rent_and_a_lost_job_finds_money_and_work(
    catalogue: Catalogue, story: str
) -> None:
    assert len(story) > 2000
    result = search(catalogue, story)
    assert result.answered
    assert best(result).service_id == "financial-aid"
    assert "employment-support" in [hit.service_id for hit in result.hits]


def test_a_long_message_is_read_in_passages_of_whole_sentences() -> None:
    story = RENT_AND_LOST_JOB_SV
    parts = passages(story)
    assert len(parts) > 5
    assert all(len(re.findall(r"\w+", part)) <= PASSAGE_WORDS for part in parts)
    assert re.findall(r"\w+", " ".join(parts)) == re.findall(r"\w+", story)
    assert all(part.rstrip()[-1] in ".?!" for part in parts)


def test_a_long_message_without_a_full_stop_is_cut_between_words() -> None:
    story = ("jag har inga pengar och hyran är sen " * 120)[:TELEGRAM_LONGEST]
    parts = passages(story)
    assert all(len(re.findall(r"\w+", part)) <= PASSAGE_WORDS for part in parts)
    assert re.findall(r"\w+", " ".join(parts)) == re.findall(r"\w+", story)


@pytest.mark.parametrize("text", ["pengarna räcker inte till hyran", "", "hej " * PASSAGE_WORDS])
def test_a_question_is_one_passage_as_it_is(text: str) -> None:
    assert passages(text) == [text]


def test_the_start_of_a_long_message_weighs_most(catalogue: Catalogue) -> None:
    money, violence = "pengarna räcker inte till hyran.", "min man slår mig."
    padding = NOISE_SV * 40
    money_first = search(catalogue, f"{money} {padding} {violence}")
    violence_first = search(catalogue, f"{violence} {padding} {money}")
    assert len(money_first.hits) >= 2 and all(h.confident for h in money_first.hits[:2])
    assert [h.service_id for h in money_first.hits[:2]] == ["financial-aid", "domestic-violence"]
    assert [h.service_id for h in violence_first.hits[:2]] == [
        "domestic-violence",
        "financial-aid",
    ]


def test_a_worry_at_the_very_end_of_a_long_message_is_still_found(catalogue: Catalogue) -> None:
    worry = " min man slår mig."
    text = (NOISE_SV * 80)[: TELEGRAM_LONGEST - len(worry)] + worry
    assert len(text) == TELEGRAM_LONGEST
    result = search(catalogue, text)
    assert result.answered
    assert best(result).service_id == "domestic-violence"


def test_saying_the_same_thing_again_and_again_adds_nothing(catalogue: Catalogue) -> None:
    question = "pengarna räcker inte till hyran."
    once = best(search(catalogue, question))
    many = best(search(catalogue, " ".join([question] * 80)))
    assert (many.service_id, many.score) == (once.service_id, once.score)


def test_a_long_message_about_nothing_we_offer_is_not_answered(catalogue: Catalogue) -> None:
    result = search(catalogue, NOISE_SV * 40)
    assert not result.answered
    assert all(not hit.confident for hit in result.hits)


def test_every_hit_of_a_long_message_explains_its_score(catalogue: Catalogue) -> None:
    result = search(catalogue, RENT_AND_LOST_JOB_EN, limit=5)
    assert len(result.hits) == 5
    for hit in result.hits:
        assert sum(m.weight for m in hit.matched) == pytest.approx(hit.score, abs=0.05)
        assert [m.weight for m in hit.matched] == sorted(
            (m.weight for m in hit.matched), reverse=True
        )
    confident = [hit.confident for hit in result.hits]
    assert confident == sorted(confident, reverse=True), "confident hits come first"
