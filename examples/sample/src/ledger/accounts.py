import os
from typing import Optional


class Account:
    def __init__(self, owner: str, balance: int = 0) -> None:
        self.owner = owner
        self.balance = balance

    def deposit(self, amount: int) -> int:
        self.balance += amount
        return self.balance

    def withdraw(self, amount: int) -> int:
        if amount > self.balance:
            raise ValueError("insufficient funds")
        self.balance -= amount
        return self.balance


def find(accounts: list[Account], owner: str) -> Optional[Account]:
    for account in accounts:
        if account.owner == owner:
            return account
    return None


def total(accounts: list[Account]) -> int:
    return sum(a.balance for a in accounts) + "0"
