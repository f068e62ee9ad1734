"""Grouping of attacker mentions on a long report that names one attacker many ways."""
import random

from incident_roles.records.builder import build_record, group_mentions

# Ways a report (and a tagger cutting spans short) writes the one attacker of an attack.
VARIANTS = ["Jaish al-Adl", "Jaish al-Adl", "the Jaish al-Adl", "Jaish al-Adl's", "JAISH AL-ADL", "jaish al-adl",
            "al-Adl", "Jaish", "Jaish al-Adl militants", "the Sunni militant group Jaish al-Adl",
            "Jaish al Adl", "Jaish-al-Adl", "Jaish al-Adl\u2019s fighters", "so-called Jaish al-Adl",
            "Army of Justice", "the Army of Justice's", "Army of", "ARMY OF JUSTICE"]


def _long_report(n=20, seed=0):
    rnd = random.Random(seed)
    parts, spans, pos = [], [], 0
    for i in range(n):
        for template in ("On day {i} {m} claimed the raid on a police post in Rasq. ",
                         "Officials said {m} fighters crossed the border before dawn. ",
                         "A statement attributed to {m} named the police post as the target. "):
            m = rnd.choice(VARIANTS) if i else VARIANTS[(len(parts)) % len(VARIANTS)]
            sentence = template.format(i=i, m=m)
            a = pos + sentence.index(m)
            spans.append({"start": a, "end": a + len(m), "label": "ATTACKER", "score": 0.9})
            parts.append(sentence)
            pos += len(sentence)
    # every variant at least once
    for m in VARIANTS:
        sentence = f"Again {m} struck. "
        spans.append({"start": pos + 6, "end": pos + 6 + len(m), "label": "ATTACKER", "score": 0.9})
        parts.append(sentence)
        pos += len(sentence)
    return "".join(parts), spans


def test_one_attacker_written_many_ways_is_one_group_per_name():
    text, spans = _long_report()
    rec = build_record(text, spans)
    names = [g["name"] for g in rec["attackers"]]
    # the alternative name (Army of Justice) stays its own group: joining them needs coreference
    assert sorted(names) == ["Army of Justice", "Jaish al-Adl"], names
    assert sum(len(g["mentions"]) for g in rec["attackers"]) == len(spans)
    army = next(g for g in rec["attackers"] if g["name"] == "Army of Justice")
    assert {m["text"] for m in army["mentions"]} == {"Army of Justice", "the Army of Justice's", "Army of",
                                                     "ARMY OF JUSTICE"}
    for g in rec["attackers"]:
        assert [m["start"] for m in g["mentions"]] == sorted(m["start"] for m in g["mentions"])
        for m in g["mentions"]:
            assert text[m["start"]:m["end"]] == m["text"]


def _groups(text, *mentions):
    spans, pos = [], 0
    for m in mentions:  # each mention at its first occurrence after the previous one
        a = text.index(m, pos)
        spans.append({"start": a, "end": a + len(m), "label": "ATTACKER"})
        pos = a + 1
    return [sorted(x["text"] for x in g["mentions"]) for g in group_mentions(text, spans)]


def test_a_fragment_inside_two_different_names_stays_apart():
    text = "The Islamic State and the Islamic Front and Islamic fighters clashed."
    groups = _groups(text, "Islamic State", "Islamic Front", "Islamic fighters")
    assert len(groups) == 3, groups
    text = "The Baloch Liberation Army and the Baloch Liberation Army's Majeed Brigade and Baloch militants attacked."
    groups = _groups(text, "Baloch Liberation Army", "Baloch Liberation Army's Majeed Brigade", "Baloch")
    # nested names are one chain, so the fragment has one place to go
    assert groups == [["Baloch", "Baloch Liberation Army", "Baloch Liberation Army's Majeed Brigade"]], groups


def test_a_short_form_joins_the_state_whose_forces_it_names():
    text = "Iranian security forces fired; security forces then withdrew while Pakistani police watched."
    groups = _groups(text, "Iranian security forces", "security forces", "Pakistani police")
    assert groups[0] == ["Iranian security forces", "security forces"], groups


def test_descriptors_around_a_name_do_not_split_it():
    # (mid-sentence: a capital at a sentence start would read as part of the name)
    text = ("Then militants of the Islamic State attacked; Islamic State fighters withdrew; the al-Qaeda militants and "
            "Al-Qaeda's gunmen and Pakistani headquarters of the group and Pakistani border posts stood.")
    groups = _groups(text, "militants of the Islamic State", "Islamic State fighters", "al-Qaeda militants",
                     "Al-Qaeda's gunmen", "Pakistani headquarters of the group", "Pakistani border posts")
    assert groups == [["Islamic State fighters", "militants of the Islamic State"],
                      ["Al-Qaeda's gunmen", "al-Qaeda militants"],
                      ["Pakistani headquarters of the group"], ["Pakistani border posts"]], groups
