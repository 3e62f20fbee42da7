import pytest
from inventory.stock import Item, Stock


def make() -> Stock:
    stock = Stock()
    stock.add(Item("A1", "bolt", 10))
    stock.add(Item("B2", "nut", 3))
    return stock


def test_take_reduces_quantity():
    stock = make()
    assert stock.take("A1", 4) == 6


def test_take_too_many():
    with pytest.raises(ValueError):
        make().take("B2", 5)


def test_low_stock():
    assert make().low() == ["B2"]


def test_value():
    assert make().value({"A1": 0.5, "B2": 2.0}) == 12.0


def test_missing_sku_raises_key_error():
    with pytest.raises(KeyError):
        make().take("Z9", 1)
