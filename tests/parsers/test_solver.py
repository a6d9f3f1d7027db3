"""Glued cells: readings listed, the arithmetic decides, nothing is picked by counting digits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.solver import COUNT, MONEY, SIGNED, Shape, readings, solve

ROW7 = Shape((COUNT,) * 7, ((0, 6),))
T4 = Shape((COUNT,) * 15, ((0, 4), (5, 9), (10, 14)))


def test_as_many_digits_as_cells_has_one_reading():
    assert solve("7000007", ROW7) == [("7", "0", "0", "0", "0", "0", "7")]


def test_row_total_picks_the_split():
    assert solve("640020470", ROW7) == [("64", "0", "0", "2", "0", "4", "70")]


def test_two_total_consistent_splits_stay_open():
    found = solve("270020130", ROW7)
    assert ("27", "0", "0", "2", "0", "1", "30") in found and len(found) == 2


def test_spaces_are_boundaries():
    assert solve("10 0 0 0 01", ROW7) == [("1", "0", "0", "0", "0", "0", "1")]
    assert solve("230 000023", ROW7) == [("23", "0", "0", "0", "0", "0", "23")]


def test_single_reading_is_kept_even_when_its_total_is_wrong():
    found = solve("010000000000000", T4)
    assert found == [tuple("010000000000000")]


def test_table4_groups_decide():
    assert solve("10203120001200000", T4) == [("1", "0", "2", "0", "3", "12", "0", "0", "0", "12",
                                               "0", "0", "0", "0", "0")]


def test_t2_row_without_total_is_undecided():
    shape = Shape((COUNT, COUNT, COUNT))
    assert len(solve("898989", shape)) > 1
    assert solve("303", shape) == [("3", "0", "3")]


def test_signed_and_money_parts():
    assert ("2648", "-18", "538") in readings(["2648-18538"], Shape((COUNT, SIGNED, COUNT)), False)
    assert solve("5 47.9659万元", Shape((COUNT, MONEY))) == [("5", "47.9659万元")]


def test_no_leading_zeros():
    assert solve("0005", Shape((COUNT, COUNT, COUNT))) == []


@settings(deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=300), min_size=6, max_size=6))
def test_the_printed_row_is_always_among_the_readings(parts):
    printed = [str(p) for p in parts] + [str(sum(parts))]
    found = solve("".join(printed), ROW7)
    assert tuple(printed) in found
    if len(found) == 1:
        assert found[0] == tuple(printed)
