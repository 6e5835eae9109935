"""Folding Query pairs into a tree (query_parser.fold): protocol rule 1 and its ``.`` nesting."""

from __future__ import annotations

from eksiam.protocol.query_parser import fold


def test_flat_pairs_are_a_dict_and_the_later_of_two_wins() -> None:
    assert fold([("Action", "GetRole"), ("RoleName", "a"), ("RoleName", "b")]) == {
        "Action": "GetRole",
        "RoleName": "b",
    }


def test_dotted_keys_nest_and_a_deeper_key_wins_over_a_scalar_at_its_prefix() -> None:
    pairs = [("Tags", ""), ("Tags.member.1.Key", "k"), ("Tags.member.1.Value", "v"), ("Tags", "x")]
    assert fold(pairs) == {"Tags": {"member": {"1": {"Key": "k", "Value": "v"}}}}
    assert fold([("A.b", "1"), ("C", "2")]) == {"A": {"b": "1"}, "C": "2"}
    assert fold([]) == {}
