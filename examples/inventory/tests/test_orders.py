from inventory.orders import fill, is_empty, total_quantity
from inventory.stock import Item, Stock


def test_fill_takes_what_is_there():
    stock = Stock()
    stock.add(Item("A1", "bolt", 2))
    assert fill(stock, [("A1", 1), ("A1", 5)]) == ["A1"]


def test_total_quantity():
    assert total_quantity([("A1", 2), ("B2", 3)]) == 5


def test_is_empty():
    assert is_empty([])
