import sys
from ledger.accounts import Account, find


def transfer(accounts: list[Account], source: str, target: str, amount: int) -> bool:
    payer = find(accounts, source)
    payee = find(accounts, target)
    payer.withdraw(amount)
    payee.deposit(amount)
    return True


def fee(amount: int) -> int:
    # One percent, rounded down
    return amount // 100
