"""Diplomatic responses: canonical type, CAMEO code and PLOVER category."""
import pytest

from incident_roles.records.responses import RESPONSE_TYPES, classify_response, describe_response, response_codes


@pytest.mark.parametrize("text, kind, cameo", [
    ("recalling its ambassador to Iran", "recall_envoy", "161"),
    ("recall of the Pakistani ambassador", "recall_envoy", "161"),
    ("withdrew its ambassador", "recall_envoy", "161"),
    ("expelled Iran\u2019s ambassador", "expel_diplomats", "166"),
    ("expulsion of the Iranian ambassador", "expel_diplomats", "166"),
    ("declared two diplomats persona non grata", "expel_diplomats", "166"),
    ("will not be allowed to return", "bar_envoy_return", "166"),
    ("may not return for the time being", "bar_envoy_return", "166"),
    ("suspend all high-level visits", "suspend_visits_talks", "164"),
    ("suspending all bilateral engagements with the country", "suspend_visits_talks", "164"),
    ("called off talks", "suspend_visits_talks", "164"),
    ("summoned Pakistan's charg\u00e9 d'affaires", "summon_envoy", "114"),
    ("lodged a formal protest", "formal_protest", "114"),
    ("severed diplomatic relations", "suspend_relations", "161"),
    ("Suspends Diplomatic Ties", "suspend_relations", "161"),
    ("closed its embassy", "close_mission_or_border", "161"),
    ("closed the border crossing", "close_mission_or_border", "191"),
    ("evacuated its embassy staff", "close_mission_or_border", "161"),
    ("imposed sanctions", "sanctions", "163"),
    ("suspended landing rights", "sanctions", "163"),
    ("requested an emergency meeting of the Security Council", "un_complaint", "114"),
    ("filed a case at the International Court of Justice", "un_complaint", "115"),
])
def test_describe_response(text, kind, cameo):
    info = describe_response(text)
    assert info["type"] == kind and info["cameo"] == cameo
    assert info["plover"] in {"SANCTION", "ACCUSE", "COERCE"}


def test_plover_categories_follow_cameo2plover():
    assert response_codes("recall_envoy")["plover"] == "SANCTION"
    assert response_codes("suspend_visits_talks")["plover"] == "SANCTION"
    assert response_codes("formal_protest")["plover"] == "ACCUSE"
    assert response_codes("sanctions")["plover"] == "COERCE"


def test_context_used_only_when_span_names_no_measure():
    assert classify_response("the move", "the move recalling its envoy") == "recall_envoy"
    assert classify_response("the move") == "other"


def test_unknown_type_is_an_error():
    with pytest.raises(KeyError, match="unknown response type"):
        response_codes("bombing")


def test_every_type_has_codes():
    for kind, info in RESPONSE_TYPES.items():
        assert {"label", "cameo", "cameo_name", "plover"} <= set(info), kind
