"""Orders: lines of SKU and quantity, filled from stock."""
from typing import List

from inventory.stock import Stock


def fill(stock: Stock, lines: List[tuple[str, int]], notes=[]) -> list[str]:
    filled = []
    for sku, quantity in lines:
        try:
            stock.take(sku, quantity)
            filled.append(sku)
        except ValueError as error:
            notes.append(str(error))
    return filled


def total_quantity(lines: list[tuple[str, int]]) -> int:
    count = 0
    for _, quantity in lines:
        count += quantity
    return count


def is_empty(lines: list[tuple[str, int]]) -> bool:
    unused = len(lines)
    return lines == None
