"""The languages beyond the first sixteen (issue 23): each lexicon finds the topics in its own language's words.

The sentences are written for these tests (not corpus items): a sanctions story and a smuggling story per
language, with the language given as a feed would give it, and the same words with no language given.
"""

import pytest

from radar_classifier.classify import Classifier

SANCTIONS = {
    "nl": ("VN-Veiligheidsraad verlengt sancties tegen Noord-Korea", "De Veiligheidsraad besloot de sancties tegen Pyongyang te verlengen."),
    "da": ("FN's Sikkerhedsråd forlænger sanktionerne mod Nordkorea", "Sikkerhedsrådet vedtog en resolution om nye sanktioner mod Pyongyang."),
    "no": ("FNs sikkerhetsråd vedtar nye sanksjoner mot Nord-Korea", "Sikkerhetsrådet vedtok en resolusjon om sanksjoner mot Pyongyang."),
    "sv": ("FN:s säkerhetsråd skärper sanktionerna mot Nordkorea", "Säkerhetsrådet antog en resolution om nya sanktioner mot Pyongyang."),
    "id": ("Dewan Keamanan PBB perketat sanksi terhadap Korea Utara", "Resolusi baru menjatuhkan sanksi kepada Pyongyang."),
    "ms": ("Majlis Keselamatan PBB kenakan sanksi baharu ke atas Korea Utara", "Resolusi itu mengenakan sanksi terhadap Pyongyang."),
    "sr": ("Савет безбедности продужио санкције Северној Кореји", "Резолуција уводи нове санкције Пјонгјангу."),
    "hr": ("Vijeće sigurnosti produljilo sankcije Sjevernoj Koreji", "Rezolucija uvodi nove sankcije Pjongjangu."),
    "cs": ("Rada bezpečnosti OSN zpřísnila sankce proti Severní Koreji", "Nová rezoluce ukládá sankce Pchjongjangu."),
    "sk": ("Bezpečnostná rada OSN sprísnila sankcie voči Severnej Kórei", "Nová rezolúcia ukladá sankcie Pchjongjangu."),
    "sl": ("Varnostni svet ZN zaostril sankcije proti Severni Koreji", "Nova resolucija uvaja sankcije proti Pjongjangu."),
    "bg": ("Съветът за сигурност на ООН затегна санкциите срещу Северна Корея", "Новата резолюция налага санкции на Пхенян."),
    "fi": ("YK:n turvallisuusneuvosto tiukentaa Pohjois-Korean pakotteita", "Uusi päätöslauselma laajentaa pakotteita Pjongjangia vastaan."),
    "hu": ("Az ENSZ Biztonsági Tanácsa szigorítja az Észak-Korea elleni szankciókat", "Az új határozat szankciókat vezet be Phenjan ellen."),
    "et": ("ÜRO julgeolekunõukogu karmistab Põhja-Korea sanktsioone", "Uus resolutsioon kehtestab Phenjanile sanktsioonid."),
    "el": ("Το Συμβούλιο Ασφαλείας του ΟΗΕ αυστηροποιεί τις κυρώσεις κατά της Βόρειας Κορέας", "Το νέο ψήφισμα επιβάλλει κυρώσεις στην Πιονγκγιάνγκ."),
    "hi": ("संयुक्त राष्ट्र सुरक्षा परिषद ने उत्तर कोरिया पर प्रतिबंध कड़े किए", "नए प्रस्ताव में प्योंगयांग पर और प्रतिबंध लगाए गए।"),
    "bn": ("জাতিসংঘ নিরাপত্তা পরিষদ উত্তর কোরিয়ার ওপর নিষেধাজ্ঞা কঠোর করল", "নতুন প্রস্তাবে পিয়ংইয়ংয়ের ওপর নিষেধাজ্ঞা আরোপ করা হয়েছে।"),
    "ta": ("ஐநா பாதுகாப்பு கவுன்சில் வட கொரியா மீது புதிய பொருளாதாரத் தடைகளை விதித்தது", "புதிய தீர்மானம் பியோங்யாங் மீதான தடைகளை கடுமையாக்கியது."),
    "te": ("ఐక్యరాజ్యసమితి భద్రతా మండలి ఉత్తర కొరియాపై ఆంక్షలను కఠినతరం చేసింది", "కొత్త తీర్మానం ప్యోంగ్యాంగ్‌పై మరిన్ని ఆంక్షలు విధించింది."),
    "ml": ("യുഎൻ രക്ഷാസമിതി ഉത്തര കൊറിയയ്ക്കെതിരായ ഉപരോധം കടുപ്പിച്ചു", "പുതിയ പ്രമേയം പ്യോങ്യാങ്ങിനെതിരെ കൂടുതൽ ഉപരോധങ്ങൾ ഏർപ്പെടുത്തി."),
    "mr": ("संयुक्त राष्ट्रांच्या सुरक्षा परिषदेने उत्तर कोरियावरील निर्बंध कडक केले", "नव्या ठरावाने प्योंगयांगवर आणखी निर्बंध लादले."),
    "gu": ("સંયુક્ત રાષ્ટ્ર સુરક્ષા પરિષદે ઉત્તર કોરિયા પરના પ્રતિબંધો કડક કર્યા", "નવા ઠરાવમાં પ્યોંગયાંગ પર વધુ પ્રતિબંધો મુકાયા."),
    "mn": ("НҮБ-ын Аюулгүйн зөвлөл Хойд Солонгосын эсрэг хориг арга хэмжээг чангатгав", "Шинэ тогтоол Пхеньянд нэмэлт хориг тавьжээ."),
    "kk": ("БҰҰ Қауіпсіздік Кеңесі Солтүстік Кореяға қарсы санкцияларды күшейтті", "Жаңа қарар Пхеньянға қосымша санкциялар енгізді."),
    "ky": ("БУУнун Коопсуздук Кеңеши Түндүк Кореяга каршы санкцияларды күчөттү", "Жаңы резолюция Пхеньянга кошумча санкцияларды киргизди."),
}

SMUGGLING = {
    "nl": ("Rusland levert olie aan Noord-Korea in strijd met sancties", "Tankers brachten geraffineerde olie van Vladivostok naar Noord-Korea."),
    "da": ("Rusland leverer olie til Nordkorea trods sanktioner", "Tankskibe sejlede olie fra Vladivostok til Nordkorea."),
    "no": ("Russland leverer olje til Nord-Korea trass i sanksjoner", "Tankskip fraktet olje fra Vladivostok til Nord-Korea."),
    "sv": ("Ryssland levererar olja till Nordkorea trots sanktionerna", "Tankfartyg fraktade olja från Vladivostok till Nordkorea."),
    "id": ("Rusia memasok minyak ke Korea Utara meski ada sanksi", "Kapal tanker mengangkut minyak dari Vladivostok ke Korea Utara."),
    "ms": ("Rusia membekalkan minyak kepada Korea Utara walaupun ada sanksi", "Kapal tangki mengangkut minyak dari Vladivostok ke Korea Utara secara haram."),
    "sr": ("Rusija isporučuje naftu Severnoj Koreji uprkos sankcijama", "Tankeri su prevozili naftu iz Vladivostoka u Severnu Koreju."),
    "hr": ("Rusija isporučuje naftu Sjevernoj Koreji unatoč sankcijama", "Tankeri su prevozili naftu iz Vladivostoka u Sjevernu Koreju."),
    "cs": ("Rusko dodává ropu Severní Koreji navzdory sankcím", "Tankery převážely ropu z Vladivostoku do Severní Koreje."),
    "sk": ("Rusko dodáva ropu Severnej Kórei napriek sankciám", "Tankery prepravujú ropu z Vladivostoku do Severnej Kórey."),
    "sl": ("Rusija dobavlja nafto Severni Koreji kljub sankcijam", "Tankerji so prevažali nafto iz Vladivostoka v Severno Korejo."),
    "bg": ("Русия доставя петрол на Северна Корея въпреки санкциите", "Танкери превозват петрол от Владивосток до Северна Корея."),
    "ta": ("தடைகளை மீறி ரஷ்யா வட கொரியாவுக்கு எண்ணெய் வழங்குகிறது", "டேங்கர் கப்பல்கள் விளாடிவோஸ்டாக்கிலிருந்து வட கொரியாவுக்கு எண்ணெய் கொண்டு சென்றன."),
    "te": ("ఆంక్షలను ఉల్లంఘించి రష్యా ఉత్తర కొరియాకు చమురు సరఫరా చేస్తోంది", "ట్యాంకర్లు వ్లాదివోస్తోక్ నుంచి ఉత్తర కొరియాకు చమురు తరలించాయి."),
    "ml": ("ഉപരോധം ലംഘിച്ച് റഷ്യ ഉത്തര കൊറിയയ്ക്ക് എണ്ണ നൽകുന്നു", "ടാങ്കറുകൾ വ്ലാഡിവോസ്റ്റോക്കിൽ നിന്ന് ഉത്തര കൊറിയയിലേക്ക് എണ്ണ എത്തിച്ചു."),
    "mr": ("निर्बंधांचे उल्लंघन करून रशिया उत्तर कोरियाला तेल पुरवत आहे", "टँकरनी व्लादिवोस्तोकहून उत्तर कोरियाला तेल पाठवले."),
    "gu": ("પ્રતિબંધોનું ઉલ્લંઘન કરીને રશિયા ઉત્તર કોરિયાને તેલ પૂરું પાડે છે", "ટેન્કરોએ વ્લાદિવોસ્તોકથી ઉત્તર કોરિયામાં તેલ મોકલ્યું."),
    "mn": ("Орос хориг зөрчин Хойд Солонгост газрын тос нийлүүлж байна", "Танкерууд Владивостокоос Хойд Солонгос руу газрын тос тээвэрлэжээ."),
    "kk": ("Ресей санкцияларды бұзып Солтүстік Кореяға мұнай жеткізуде", "Танкерлер Владивостоктан Солтүстік Кореяға мұнай тасымалдады."),
    "ky": ("Орусия санкцияларды бузуп Түндүк Кореяга мунай жеткирүүдө", "Танкерлер Владивостоктон Түндүк Кореяга мунай ташышты."),
}


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.default()


def _topics(classifier: Classifier, title: str, text: str, lang: str | None) -> set[str]:
    return {t.tag for t in classifier.classify(title, text, "", lang)}


@pytest.mark.parametrize("lang", sorted(SANCTIONS))
def test_sanctions_are_found_in_the_language(classifier: Classifier, lang: str) -> None:
    assert "dprk-sanctions" in _topics(classifier, *SANCTIONS[lang], lang), lang


@pytest.mark.parametrize("lang", sorted(SMUGGLING))
def test_smuggling_is_found_in_the_language(classifier: Classifier, lang: str) -> None:
    assert "russia-dprk-smuggling" in _topics(classifier, *SMUGGLING[lang], lang), lang


def test_every_new_language_has_a_lexicon(classifier: Classifier) -> None:
    assert set(SANCTIONS) <= set(classifier.languages)
