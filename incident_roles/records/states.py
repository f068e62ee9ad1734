"""States with their capitals, demonyms and aliases, and ``canonical_state()`` to map a mention to one.

Used by the record builder to give attacker and target mentions a canonical state name ("Iranian
forces", "Tehran", "Revolutionary Guards" -> "Iran"). Pure data and pure functions, no model.

Public API (other modules import it): ``COUNTRIES`` (name -> {"capitals", "demonyms", "aliases"}),
``canonical_state(text) -> str | None``, ``is_state_word(word) -> bool``.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# name | capitals (comma separated) | demonyms | aliases (state organs and short names included:
# an analyst codes "the Revolutionary Guards" or "the Kremlin" as the state that commands them).
_TABLE = """
Afghanistan|Kabul|Afghan|Islamic Emirate of Afghanistan,Taliban government
Albania|Tirana|Albanian|
Algeria|Algiers|Algerian|
Andorra|Andorra la Vella|Andorran|
Angola|Luanda|Angolan|
Argentina|Buenos Aires|Argentine,Argentinian|Casa Rosada
Armenia|Yerevan|Armenian|
Australia|Canberra|Australian|
Austria|Vienna|Austrian|
Azerbaijan|Baku|Azerbaijani,Azeri|
Bahamas|Nassau|Bahamian|The Bahamas
Bahrain|Manama|Bahraini|
Bangladesh|Dhaka|Bangladeshi|
Barbados|Bridgetown|Barbadian|
Belarus|Minsk|Belarusian,Belarusan|Byelorussia
Belgium|Brussels|Belgian|
Belize|Belmopan|Belizean|
Benin|Porto-Novo|Beninese|
Bhutan|Thimphu|Bhutanese|
Bolivia|Sucre,La Paz|Bolivian|
Bosnia and Herzegovina|Sarajevo|Bosnian|Bosnia
Botswana|Gaborone|Botswanan,Motswana|
Brazil|Brasilia,Brasília|Brazilian|
Brunei|Bandar Seri Begawan|Bruneian|
Bulgaria|Sofia|Bulgarian|
Burkina Faso|Ouagadougou|Burkinabe|
Burundi|Gitega,Bujumbura|Burundian|
Cambodia|Phnom Penh|Cambodian|Kampuchea
Cameroon|Yaounde,Yaoundé|Cameroonian|
Canada|Ottawa|Canadian|
Cape Verde|Praia|Cape Verdean|Cabo Verde
Central African Republic|Bangui|Central African|CAR
Chad|N'Djamena|Chadian|
Chile|Santiago|Chilean|
China|Beijing,Peking|Chinese|PRC,People's Republic of China,People's Liberation Army,PLA,PLA Navy,China Coast Guard,Chinese Coast Guard
Colombia|Bogota,Bogotá|Colombian|
Comoros|Moroni|Comorian|
Costa Rica|San Jose,San José|Costa Rican|
Croatia|Zagreb|Croatian,Croat|
Cuba|Havana|Cuban|
Cyprus|Nicosia|Cypriot|
Czech Republic|Prague|Czech|Czechia
Czechoslovakia||Czechoslovak|
Democratic Republic of the Congo|Kinshasa|Congolese|DRC,DR Congo,Congo-Kinshasa,Zaire
Republic of the Congo|Brazzaville||Congo-Brazzaville
Denmark|Copenhagen|Danish,Dane|
Djibouti|Djibouti|Djiboutian|
Dominican Republic|Santo Domingo|Dominican|
East Timor|Dili|Timorese|Timor-Leste
Ecuador|Quito|Ecuadorian|
Egypt|Cairo|Egyptian|
El Salvador|San Salvador|Salvadoran|
Equatorial Guinea|Malabo|Equatoguinean|
Eritrea|Asmara|Eritrean|
Estonia|Tallinn|Estonian|
Eswatini|Mbabane|Swazi|Swaziland
Ethiopia|Addis Ababa|Ethiopian|
Fiji|Suva|Fijian|
Finland|Helsinki|Finnish,Finn|
France|Paris|French|Elysee,Élysée,Quai d'Orsay,DGSE
Gabon|Libreville|Gabonese|
Gambia|Banjul|Gambian|The Gambia
Georgia|Tbilisi|Georgian|
Germany|Berlin|German|Federal Republic of Germany,Bundeswehr
East Germany|East Berlin|East German|GDR,German Democratic Republic,Stasi
West Germany|Bonn|West German|
Ghana|Accra|Ghanaian|
Greece|Athens|Greek|Hellenic Republic
Guatemala|Guatemala City|Guatemalan|
Guinea|Conakry|Guinean|
Guinea-Bissau|Bissau|Bissau-Guinean|
Guyana|Georgetown|Guyanese|
Haiti|Port-au-Prince|Haitian|
Honduras|Tegucigalpa|Honduran|
Hungary|Budapest|Hungarian|
Iceland|Reykjavik,Reykjavík|Icelandic,Icelander|
India|New Delhi,Delhi|Indian|Indian Army,Indian Air Force,Indian Navy
Indonesia|Jakarta|Indonesian|
Iran|Tehran,Teheran|Iranian,Persian|Islamic Republic,Islamic Republic of Iran,Revolutionary Guards,Revolutionary Guard,Islamic Revolutionary Guard Corps,Revolutionary Guard Corps,IRGC,Quds Force,Pasdaran,Basij
Iraq|Baghdad|Iraqi|
Ireland|Dublin|Irish|Republic of Ireland
Israel|Jerusalem,Tel Aviv|Israeli|IDF,Israel Defense Forces,Israel Defence Forces,Mossad,Shin Bet,Israeli Air Force
Italy|Rome|Italian|
Ivory Coast|Yamoussoukro,Abidjan|Ivorian|Cote d'Ivoire,Côte d'Ivoire
Jamaica|Kingston|Jamaican|
Japan|Tokyo|Japanese|Japan Self-Defense Forces
Jordan|Amman|Jordanian|
Kazakhstan|Astana,Almaty|Kazakh,Kazakhstani|
Kenya|Nairobi|Kenyan|
Kosovo|Pristina|Kosovar,Kosovan|
Kuwait|Kuwait City|Kuwaiti|
Kyrgyzstan|Bishkek|Kyrgyz|Kirghizia
Laos|Vientiane|Laotian,Lao|
Latvia|Riga|Latvian|
Lebanon|Beirut|Lebanese|
Lesotho|Maseru|Basotho|
Liberia|Monrovia|Liberian|
Libya|Tripoli|Libyan|Jamahiriya
Liechtenstein|Vaduz|Liechtensteiner|
Lithuania|Vilnius|Lithuanian|
Luxembourg|Luxembourg|Luxembourgish,Luxembourger|
Madagascar|Antananarivo|Malagasy|
Malawi|Lilongwe|Malawian|
Malaysia|Kuala Lumpur|Malaysian|
Maldives|Male,Malé|Maldivian|
Mali|Bamako|Malian|
Malta|Valletta|Maltese|
Mauritania|Nouakchott|Mauritanian|
Mauritius|Port Louis|Mauritian|
Mexico|Mexico City|Mexican|
Moldova|Chisinau,Chișinău|Moldovan|
Monaco|Monaco|Monegasque|
Mongolia|Ulaanbaatar,Ulan Bator|Mongolian|
Montenegro|Podgorica|Montenegrin|
Morocco|Rabat|Moroccan|
Mozambique|Maputo|Mozambican|
Myanmar|Naypyidaw,Naypyitaw,Yangon,Rangoon|Burmese,Myanmarese|Burma,Tatmadaw
Namibia|Windhoek|Namibian|
Nepal|Kathmandu|Nepali,Nepalese|
Netherlands|Amsterdam,The Hague|Dutch|Holland
New Zealand|Wellington|New Zealander,Kiwi|
Nicaragua|Managua|Nicaraguan|
Niger|Niamey|Nigerien|
Nigeria|Abuja,Lagos|Nigerian|
North Korea|Pyongyang|North Korean|DPRK,Democratic People's Republic of Korea,Korean People's Army
North Macedonia|Skopje|Macedonian|Macedonia
Norway|Oslo|Norwegian|
Oman|Muscat|Omani|
Pakistan|Islamabad|Pakistani|Pakistan Army,ISI,Inter-Services Intelligence
Palestine|Ramallah|Palestinian|Palestinian Authority,State of Palestine
Panama|Panama City|Panamanian|
Papua New Guinea|Port Moresby|Papua New Guinean|PNG
Paraguay|Asuncion,Asunción|Paraguayan|
Peru|Lima|Peruvian|
Philippines|Manila|Philippine,Filipino|
Poland|Warsaw|Polish,Pole|
Portugal|Lisbon|Portuguese|
Qatar|Doha|Qatari|
Romania|Bucharest|Romanian|
Russia|Moscow|Russian|Russian Federation,Kremlin,FSB,GRU,SVR
Soviet Union|Moscow|Soviet|USSR,U.S.S.R.,Union of Soviet Socialist Republics,KGB,Red Army
Rwanda|Kigali|Rwandan|
Saudi Arabia|Riyadh|Saudi|Kingdom of Saudi Arabia,KSA
Senegal|Dakar|Senegalese|
Serbia|Belgrade|Serbian,Serb|
Yugoslavia|Belgrade|Yugoslav|
Sierra Leone|Freetown|Sierra Leonean|
Singapore|Singapore|Singaporean|
Slovakia|Bratislava|Slovak|
Slovenia|Ljubljana|Slovenian,Slovene|
Somalia|Mogadishu|Somali|
South Africa|Pretoria,Cape Town|South African|
South Korea|Seoul|South Korean|Republic of Korea,ROK
South Sudan|Juba|South Sudanese|
Spain|Madrid|Spanish,Spaniard|
Sri Lanka|Colombo,Sri Jayawardenepura Kotte|Sri Lankan|Ceylon
Sudan|Khartoum|Sudanese|
Suriname|Paramaribo|Surinamese|
Sweden|Stockholm|Swedish,Swede|
Switzerland|Bern,Berne|Swiss|
Syria|Damascus|Syrian|
Taiwan|Taipei|Taiwanese|Republic of China,ROC
Tajikistan|Dushanbe|Tajik|
Tanzania|Dodoma,Dar es Salaam|Tanzanian|
Thailand|Bangkok|Thai|Siam
Togo|Lome,Lomé|Togolese|
Trinidad and Tobago|Port of Spain|Trinidadian|
Tunisia|Tunis|Tunisian|
Turkey|Ankara|Turkish,Turk|Turkiye,Türkiye
Turkmenistan|Ashgabat|Turkmen|
Uganda|Kampala|Ugandan|
Ukraine|Kyiv,Kiev|Ukrainian|
United Arab Emirates|Abu Dhabi|Emirati|UAE,U.A.E.
United Kingdom|London|British,Briton|UK,U.K.,Britain,Great Britain,England,Whitehall,Downing Street,Royal Navy,Royal Air Force,RAF,MI6
United States|Washington,Washington D.C.,Washington DC|American|US,U.S.,USA,U.S.A.,United States of America,America,Pentagon,White House,CIA,U.S. Navy,US Navy
Uruguay|Montevideo|Uruguayan|
Uzbekistan|Tashkent|Uzbek|
Vatican City|Vatican City|Vatican|Holy See,Vatican
Venezuela|Caracas|Venezuelan|
Vietnam|Hanoi|Vietnamese|Viet Nam
South Vietnam|Saigon|South Vietnamese|
Yemen|Sanaa,Sana'a|Yemeni|
Zambia|Lusaka|Zambian|
Zimbabwe|Harare|Zimbabwean|Rhodesia
"""


def _split(field: str) -> list[str]:
    return [x.strip() for x in field.split(",") if x.strip()]


def _parse(table: str) -> dict[str, dict]:
    countries = {}
    for n, line in enumerate(table.strip().splitlines(), 1):
        parts = line.split("|")
        if len(parts) != 4:
            raise ValueError(f"gazetteer line {n}: expected 4 fields separated by '|': {line!r}")
        name, capitals, demonyms, aliases = parts
        countries[name.strip()] = {"capitals": _split(capitals), "demonyms": _split(demonyms),
                                   "aliases": _split(aliases)}
    return countries


COUNTRIES: dict[str, dict] = _parse(_TABLE)

# Capitals shared by two entries: the current state wins, the historical one is reached by its own
# demonyms and aliases ("Soviet", "USSR").
_HISTORICAL = {"Soviet Union", "Yugoslavia", "East Germany", "West Germany", "South Vietnam", "Czechoslovakia"}
# Words that look like a state word but are too ambiguous alone ("US" in upper case is kept).
_AMBIGUOUS_LOWER = {"us", "chad", "jordan", "georgia", "turkey", "guinea", "niger", "male", "lima",
                    "nice", "kiwi", "pole", "dane", "lao", "india", "america", "england", "juba"}
_NEGATING_PREFIXES = {"anti", "pro", "non", "ex", "post", "pre", "counter"}
# Capitalised heads that turn a state word before them into part of the proper name of a sea or a
# company ("Persian Gulf", "Indian Ocean", "Washington Post", "Turkish Airlines"), never of the state's
# own organs; "Navy", "Army", "Air" (Air Force), "Ministry", "News" (agencies) are left out on purpose.
_NAME_HEADS = {"ocean", "sea", "gulf", "bay", "strait", "straits", "peninsula", "subcontinent",
               "post", "times", "herald", "tribune", "journal", "gazette", "chronicle", "express", "daily",
               "airlines", "airways", "columbia"}
# "America" after these names a continent or region, not the United States
_REGION_PREFIXES = {"latin", "south", "central", "north"}
# ... and heads that take the state word after "of": "Sea of Japan", "Gulf of Oman", "Times of India"
_NAME_HEADS_OF = {"sea", "gulf", "bay", "strait", "times"}
_TOKEN_RE = re.compile(r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'.\-]*")


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).replace("\u2019", "'").replace("\u2018", "'")
    s = re.sub(r"\s+", " ", s.strip())
    return s.lower()


def _strip_possessive(word: str) -> str:
    return re.sub(r"'s?$", "", word)


@lru_cache(maxsize=1)
def _lookup() -> tuple[dict[str, str], int]:
    """Lower-cased surface form -> state name, and the longest form's length in words."""
    table: dict[str, str] = {}
    for hist in (False, True):  # current states last so they win on shared forms
        for name, info in COUNTRIES.items():
            if (name in _HISTORICAL) != hist:
                continue
            forms = [name, *info["capitals"], *info["demonyms"], *info["aliases"]]
            forms += [d + "s" for d in info["demonyms"] if not d.endswith(("s", "sh", "ese", "ch", "i"))]
            for form in forms:
                key = _norm(form)
                if hist and key in table:
                    continue
                table[key] = name
    # current states override historical ones on shared forms (capitals such as Moscow, Belgrade)
    for name, info in COUNTRIES.items():
        if name not in _HISTORICAL:
            for form in [name, *info["capitals"]]:
                table[_norm(form)] = name
    longest = max(len(k.split()) for k in table)
    return table, longest


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    words = []
    for m in _TOKEN_RE.finditer(text):
        w = m.group(0)
        # a trailing period belongs to an abbreviation (U.S.) but not to a sentence end (Iran.)
        if w.endswith(".") and not re.fullmatch(r"(?:[A-Za-z]\.)+", w):
            w = w.rstrip(".")
        if "-" in w and _norm(w) not in _lookup()[0]:
            parts = [p for p in w.split("-") if p]
            # "anti-Iran militants" are not Iran; "Pakistan-Iran relations" name both states
            if parts and parts[0].lower() in _NEGATING_PREFIXES:
                continue
            words.extend(parts)
            continue
        words.append(w)
    return words


def _in_proper_name(words: list[str], a: int, b: int) -> bool:
    """Whether words[a:b], a state word, is part of the name of a sea or a newspaper (``_NAME_HEADS``)."""
    if b - a == 1 and words[a].lower() in ("america", "american", "americans") and a >= 1 and words[a - 1].lower() in _REGION_PREFIXES:
        return True
    nxt = _strip_possessive(words[b]) if b < len(words) else ""
    if nxt[:1].isupper() and nxt.lower() in _NAME_HEADS:
        return True
    return a >= 2 and words[a - 1] == "of" and words[a - 2][:1].isupper() and words[a - 2].lower() in _NAME_HEADS_OF


def canonical_state(text: str) -> str | None:
    """The state a mention names or stands for, or None: "Iranian forces" -> "Iran", "Tehran" ->
    "Iran", "the Revolutionary Guards" -> "Iran", "Pakistani soil" -> "Pakistan", "U.S." ->
    "United States", "Soviet MiG-15s" -> "Soviet Union". The longest matching run of words wins,
    the earliest on ties; ambiguous lower-case words ("us", "turkey") never match, nor a state word
    inside the name of a sea or a newspaper ("Persian Gulf", "Washington Post": ``_NAME_HEADS``)."""
    if not text or not text.strip():
        return None
    table, longest = _lookup()
    words = _words(text)
    best: tuple[int, int, str] | None = None  # (-length, start, state)
    for i in range(len(words)):
        for n in range(min(longest, len(words) - i), 0, -1):
            chunk = words[i:i + n]
            chunk = chunk[:-1] + [_strip_possessive(chunk[-1])]
            raw = " ".join(chunk)
            key = _norm(raw)
            if key not in table:
                continue
            if n == 1 and key in _AMBIGUOUS_LOWER and not raw[:1].isupper():
                continue
            if key == "us" and raw != "US":
                continue
            if _in_proper_name(words, i, i + n):
                break
            cand = (-n, i, table[key])
            if best is None or cand[:2] < best[:2]:
                best = cand
            break
    return best[2] if best else None


def is_state_word(word: str) -> bool:
    """True when ``word`` alone names a state: a country name, capital, demonym or alias."""
    if not word or not word.strip():
        return False
    table, _ = _lookup()
    raw = _strip_possessive(word.strip().replace("\u2019", "'"))
    key = _norm(raw)
    if key not in table:
        return False
    if key in _AMBIGUOUS_LOWER and not raw[:1].isupper():
        return False
    return not (key == "us" and raw != "US")


__all__ = ["COUNTRIES", "canonical_state", "is_state_word"]
