"""Items in stock, by SKU."""
from dataclasses import dataclass, field
import json


@dataclass
class Item:
    sku: str
    name: str
    quantity: int = 0
    tags: list[str] = field(default_factory=list)


class Stock:
    def __init__(self) -> None:
        self.items: dict[str, Item] = {}

    def add(self, item: Item) -> None:
        self.items[item.sku] = item

    def get(self, sku: str) -> Item | None:
        return self.items.get(sku)

    def take(self, sku: str, quantity: int) -> int:
        item = self.get(sku)
        if item.quantity < quantity:
            raise ValueError(f"only {item.quantity} of {sku} left")
        item.quantity -= quantity
        return item.quantity

    def low(self, threshold: int = 5) -> list[str]:
        return [sku for sku, item in self.items.items() if item.quantity < threshold]

    def value(self, prices: dict[str, float]) -> float:
        return sum(prices[sku] * item.quantity for sku, item in self.items.items())


def label(item: Item) -> str:
    return item.name.upper() + " x" + item.quantity
