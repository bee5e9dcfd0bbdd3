"""Our eight languages: codes, own names, detection and the text folding search and triage share."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Final

import snowballstemmer  # type: ignore[import-untyped]
from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LOCALES: Final = ("sv", "en", "ar", "fa_AF", "so", "ti", "uk", "fi")
DEFAULT_LOCALE: Final = "sv"
RIGHT_TO_LEFT: Final = frozenset({"ar", "fa_AF"})

# Each language in its own name, as a resident looks for it on a button.
OWN_NAMES: Final = {
    "sv": "Svenska",
    "en": "English",
    "ar": "العربية",
    "fa_AF": "دری",
    "so": "Soomaali",
    "ti": "ትግርኛ",
    "uk": "Українська",
    "fi": "Suomi",
}

# Telegram sends IETF tags ("en-GB", "fa", "prs"); Dari has no ISO 639-1 code of its own.
_TELEGRAM_TO_LOCALE: Final = {
    "sv": "sv",
    "en": "en",
    "ar": "ar",
    "fa": "fa_AF",
    "prs": "fa_AF",
    "so": "so",
    "ti": "ti",
    "uk": "uk",
    "fi": "fi",
}

_LINGUA_TO_LOCALE: Final = {
    Language.SWEDISH: "sv",
    Language.ENGLISH: "en",
    Language.ARABIC: "ar",
    Language.PERSIAN: "fa_AF",
    Language.SOMALI: "so",
    Language.UKRAINIAN: "uk",
    Language.FINNISH: "fi",
}

_STEMMERS: Final = {
    "sv": "swedish",
    "en": "english",
    "ar": "arabic",
    "fa_AF": "persian",
    "fi": "finnish",
}

_ETHIOPIC = re.compile(r"[\u1200-\u139f\u2d80-\u2ddf\uab00-\uab2f]")
_WORD = re.compile(r"\w+", re.UNICODE)
# Arabic-script letters that residents type in several ways: fold them to one form.
_ARABIC_FOLD: Final = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ی",
        "ي": "ی",
        "ك": "ک",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ی",
        "ـ": None,  # tatweel, a stretching mark
    }
)


def locale_for_telegram(language_code: str | None) -> str:
    """Return our locale for Telegram's ``language_code``, or the default locale."""
    return _TELEGRAM_TO_LOCALE.get(_primary(language_code), DEFAULT_LOCALE)


def is_ours(language_code: str | None) -> bool:
    """Tell whether Telegram's ``language_code`` is one of our languages (None: not known)."""
    return _primary(language_code) in _TELEGRAM_TO_LOCALE


def _primary(language_code: str | None) -> str:
    """Return the language of an IETF tag without its region ("en-GB": "en"); "" for none."""
    return (language_code or "").replace("_", "-").split("-")[0].lower()


def telegram_language_code(locale: str) -> str:
    """Return the two-letter code Telegram's ``setMyCommands`` takes for ``locale``."""
    return "fa" if locale == "fa_AF" else locale


def is_right_to_left(locale: str) -> bool:
    """Tell whether ``locale`` is written right to left."""
    return locale in RIGHT_TO_LEFT


@cache
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_LINGUA_TO_LOCALE).build()


def warm_up() -> None:
    """Load the language models now, so the first resident does not wait for them.

    Lingua loads each language's model the first time a text could be in it (a few
    hundred milliseconds each), so one sample per language is detected here.
    """
    for sample in _WARM_UP_SAMPLES:
        _detector().detect_language_of(sample)


_WARM_UP_SAMPLES: Final = (
    "jag behöver hjälp med pengar",
    "i need help with money",
    "أحتاج مساعدة في المال",
    "من به کمک پولی ضرورت دارم",
    "waxaan u baahanahay caawimaad lacageed",
    "мені потрібна допомога з грошима",
    "tarvitsen apua rahan kanssa",
)


def detect_language(text: str) -> str | None:
    """Return the locale ``text`` is most likely written in, or None when it cannot tell.

    Tigrinya is recognised by its Ge'ez script, which no other of our languages uses.
    Residents mix scripts ("ከመይ ገይረ försörjningsstöd ክሓትት"): the script most of the
    words are written in decides, and only those words are shown to the detector, so
    one Swedish word from a letter does not turn a Tigrinya question into Swedish.
    """
    letters = sum(ch.isalpha() for ch in text)
    if letters == 0:
        return None
    script, sample = _dominant_script(text)
    if script == "ethiopic":
        return "ti"
    if script == "cyrillic":
        # Ukrainian is our only language in Cyrillic; Russian-speaking residents read it best.
        return "uk"
    found = _detector().detect_language_of(sample or text)
    return _LINGUA_TO_LOCALE.get(found) if found is not None else None


def fold(text: str) -> str:
    """Return ``text`` folded for matching: lower case, no diacritics, one Arabic-script form.

    Residents often type without å, ä, ö or Arabic vowel marks; folding makes
    "forsorjningsstod" and "försörjningsstöd" the same word.
    """
    text = unicodedata.normalize("NFKC", text).casefold().translate(_ARABIC_FOLD)
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept)


def words(text: str) -> list[str]:
    """Return the folded words of ``text`` in order."""
    return _WORD.findall(fold(text))


@cache
def _stemmer(locale: str) -> snowballstemmer.stemmer | None:
    algorithm = _STEMMERS.get(locale)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


def stem(word: str, locale: str) -> str:
    """Return the folded stem of one lower-case word, or the folded word where no stemmer exists."""
    stemmer = _stemmer(locale)
    stemmed = stemmer.stemWord(word) if stemmer is not None else word
    return fold(stemmed)


# --- Scripts, stop-words and matching keys (used by search; additive) ---------------------

SCRIPTS: Final = ("latin", "arabic", "cyrillic", "ethiopic")

# The locales written in each script: a word can only be a word of these languages.
SCRIPT_LOCALES: Final = {
    "latin": ("sv", "en", "so", "fi"),
    "arabic": ("ar", "fa_AF"),
    "cyrillic": ("uk",),
    "ethiopic": ("ti",),
}

_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def script_of(word: str) -> str:
    """Return the script ``word`` is written in: latin, arabic, cyrillic or ethiopic."""
    for ch in word:
        if _ETHIOPIC.match(ch):
            return "ethiopic"
        if _ARABIC_SCRIPT.match(ch):
            return "arabic"
        if _CYRILLIC.match(ch):
            return "cyrillic"
    return "latin"


def _dominant_script(text: str) -> tuple[str, str]:
    """Return the script most words of ``text`` are in, and those words joined."""
    by_script: dict[str, list[str]] = {}
    for word in _WORD.findall(text):
        if any(ch.isalpha() for ch in word):
            by_script.setdefault(script_of(word), []).append(word)
    if not by_script:
        return "latin", ""
    # Most words wins; on a tie the one with more letters (a long Swedish compound
    # beside one short word of another script is still mostly Swedish).
    script = max(by_script, key=lambda s: (len(by_script[s]), sum(map(len, by_script[s]))))
    return script, " ".join(by_script[script])


def _folded_set(text: str) -> frozenset[str]:
    return frozenset(fold(word) for word in text.split())


# Function words and politeness that say nothing about which service fits. Kept short
# on purpose: a word that is a stop-word here is never matched in any language.
STOP_WORDS: Final = {
    "sv": _folded_set(
        "och i att det som en på är av för med till den har de inte om ett han men hon jag "
        "du vi ni dom dem mig dig sig oss er min mitt mina din ditt dina sin sitt sina vår "
        "vårt våra ert era här där så då nu när vad vem var vart hur varför vilken vilket "
        "vilka kan kunna ska skall skulle vill ville måste får fick få behöver behöva blir "
        "bli blev varit vara hade haft gör göra gjort finns fanns något någon några nåt nån "
        "inga ingen inget allt alla mycket lite bara också eller utan efter innan från mot "
        "vid under över ut upp in ner ja nej hej tack snälla hjälp hjälpa hjälper typ "
        "liksom asså alltså ens sen igen än hela heller just jätte mkt pga kommer kom säga säg "
        "säger sa sagt idag imorgon igår flera gånger"
    ),
    "en": _folded_set(
        "a an the and or but if then so of in on at to for from by with about as into over "
        "under up down out i me my mine we us our you your he him his she her it its they "
        "them their this that these those is am are was were be been being have has had do "
        "does did doing will would can could should shall may might must not no yes dont "
        "cant im ive what who whom which where when why how there here any some all very "
        "just also too please hi hello thanks thank help need needs want wants get got like "
        "really lot lots one someone anyone something anything is isnt there s t today "
        "tomorrow yesterday say said tell"
    ),
    "ar": _folded_set(
        "في من على إلى الى عن مع هذا هذه ذلك التي الذي و أو او ثم لا ما لم لن هل أنا انا أنت "
        "انت هو هي نحن هم كل بعض أي اي كيف متى وين أين اين ليش لماذا شو ايش وش مين إذا اذا "
        "لو عندي كان يكون قد بس يا شي شيء ممكن أبغى ابغى أبي ابي أريد اريد أحتاج احتاج "
        "مساعدة ساعدوني يعني هل مرحبا شكرا لو سمحت اليوم بكرة بكره امس أمس"
    ),
    "fa_AF": _folded_set(
        "و در به از که را با این آن برای است هست هستم هستیم هستند بود می نمی من تو او ما "
        "شما آنها یک هم یا اما ولی اگر چه چی چطور کجا کی چرا چند خود ای آیا هر همه دیگه "
        "دیگر باید شاید میخواهم میخواهیم میخوام میخایم کمک کمکم لطفا سلام تشکر یعنی "
        "دارم داریم دارد کنم کنیم میکنه میکنم میکنی میکنید میکنند میشه میشود کنه کرده شده "
        "بدهم بدم امروز فردا دیروز"
    ),
    "so": _folded_set(
        "waa iyo ka ku u la ayaa ayay ayuu ayaan baan baa oo in inaan aan ma mana miyaa "
        "haddii hadii laakiin ama aniga adiga isaga iyada annaga idinka iyaga waxaan waxay "
        "wuxuu waxa wax si sidee sideen xagee halkee maxay maxaa yaa goorma mid kasta dhan "
        "hadda walba ee kale kuu ii ila iga igu noo nala naga caawimaad caawin caawi "
        "caawiya caawiso i wuu way waan rabaa u baahanahay baahan fadlan mahadsanid soo ah "
        "ahaa aad lagu loo laga kula kaga ugu maanta berri shalay"
    ),
    "ti": _folded_set(
        "ኣብ ካብ ናብ ምስ እዩ እዮም ኢዩ ኢና እየ እያ ኣሎ ኣለኒ ኣለዉ ድዩ ድየ ድዮም እንታይ ከመይ "
        "ኣበይ ካበይ መዓስ መን ስለምንታይ እዚ እቲ እታ እዞም እቶም ኣነ ንስኻ ንስኺ ንሱ ንሳ ንሕና "
        "ንስኹም ንሳቶም ወይ ግን ከኣ ኩሉ ሓደ ክንደይ በጃኹም ሰላም የቐንየለይ ሓገዝ እደሊ "
        "የድልየኒ ክኽእል ይኽእል እኽእል ሎሚ ጽባሕ ትማሊ"
    ),
    "uk": _folded_set(
        "і й та або але а в у на з із зі до від по за про для при над під що як де коли "
        "чому хто який яка яке які це цей ця ці той то я ти він вона ми ви вони мене мені "
        "мій моя моє мої твій ваш наш свій себе не ні так є був була було були буде бути "
        "можна треба потрібно потрібна потрібен хочу хочемо хоче дуже вже ще теж також тут "
        "там чи якщо бо щоб допомога допомогу допомоги допоможіть будь ласка привіт дякую "
        "маю мати сьогодні завтра вчора"
    ),
    "fi": _folded_set(
        "ja on ei en et emme ette eivät ole olen oli olla se ne tämä tuo nämä minä mä mulla "
        "mun minun sinä sä sinun hän me te he meidän teidän heidän kuin kun jos että mutta "
        "tai myös vain jo vielä nyt niin miten mitä mikä missä mistä mihin milloin miksi "
        "kuka kenelle kenen voi voin voisi voiko saa saisin pitää täytyy tarvitsen tarvitaan "
        "haluan haluaisin apua auta kiitos hei moi koko ajan tosi ihan tänään huomenna eilen"
    ),
}

ALL_STOP_WORDS: Final = frozenset().union(*STOP_WORDS.values())


def _split(text: str) -> list[str]:
    return text.split()


# Light suffix strippers for the languages Snowball has no stemmer for. They only need
# to make the inflected forms residents type meet the forms staff wrote in the
# catalogue; over-stripping a little is fine because both sides are stripped alike.
_UK_REFLEXIVE: Final = tuple(fold(s) for s in ("ся", "сь"))
_UK_SUFFIXES: Final = tuple(
    sorted(
        {
            fold(s)
            for s in _split(
                "ями ами ові еві єві ого ього ому ьому ими іми ою ею єю ої ьої ом ем єм ам ям "
                "ах ях ів їв ей ий ій их іх им ім ти ть ємо емо ете єте уть ють ать ять ить "
                "іть ає ла ло ли ив ав ьо а я о е є и і у ю в"
            )
        },
        key=len,
        reverse=True,
    )
)
_SO_SUFFIXES: Final = tuple(
    sorted(
        set(
            _split(
                "ayaga ayada aygii aydii kayga tayda gayga dayda kaaga taada gaaga daada kiisa "
                "tiisa giisa diisa keeda teeda geeda deeda kooda tooda gooda dooda keenna "
                "teenna kiinna tiinna ooyin yaal ayga ayda aaga aada iisa eeda ooda kii tii "
                "gii dii hii kan tan gan dan taa naa nay tay day kay ayaa ayo aan yo ka ta ga "
                "da ha ya tu ku gu du hu aa ay ii ad in o a e u i"
            )
        ),
        key=len,
        reverse=True,
    )
)
_VOWELS: Final = frozenset("aeiou")


def _strip_suffix(word: str, suffixes: tuple[str, ...], keep: int) -> str:
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            return word[: -len(suffix)]
    return word


def light_stem_uk(word: str) -> str:
    """Return a folded Ukrainian word without its case, number, person or reflexive ending."""
    word = fold(word)
    word = _strip_suffix(word, _UK_REFLEXIVE, 4)
    word = _strip_suffix(word, _UK_SUFFIXES, 3)
    return word.removesuffix("ь") if len(word) > 3 else word


def light_stem_so(word: str) -> str:
    """Return a folded Somali word without its article, possessive, plural or verb ending.

    Somali changes a noun's last vowel before an article (shaqo, shaqada), so a
    remaining final vowel is dropped too: both become "shaq".
    """
    word = fold(word).replace("'", "")
    word = _strip_suffix(word, _SO_SUFFIXES, 3)
    if len(word) >= 4 and word[-1] in _VOWELS:
        word = word[:-1]
    return word


# Ge'ez letters stand for a consonant plus a vowel, laid out in rows of eight; inflection
# mostly changes the vowel ("ቆልዓ", "ቆልዑ"). Folding each letter to its row's first form
# keeps the consonants, like matching Arabic without short vowels. Letters that sound the
# same in Tigrinya and are often swapped are folded together as well.
_ETHIOPIC_SAME_SOUND: Final = {0x1220: 0x1230, 0x1340: 0x1338, 0x1280: 0x1210, 0x12D0: 0x12A0}


def ethiopic_skeleton(word: str) -> str:
    """Return ``word`` with every Ge'ez letter folded to its consonant's base form."""
    out = []
    for ch in word:
        code = ord(ch)
        if 0x1200 <= code <= 0x135A:
            code = 0x1200 + (code - 0x1200) // 8 * 8
            code = _ETHIOPIC_SAME_SOUND.get(code, code)
            out.append(chr(code))
        elif ch.isalnum():
            out.append(ch)
    return "".join(out)


def match_key(word: str, locale: str) -> str:
    """Return the key search matches one lower-case word on, for words of ``locale``.

    Snowball stems where a stemmer exists, the light strippers for Ukrainian and
    Somali, and the consonant skeleton for Tigrinya; always folded.
    """
    if locale == "uk":
        return light_stem_uk(word)
    if locale == "so":
        return light_stem_so(word)
    if locale == "ti":
        return ethiopic_skeleton(fold(word))
    return stem(word, locale)
