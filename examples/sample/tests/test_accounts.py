import pytest
from ledger.accounts import Account, find


def test_deposit():
    account = Account("ada")
    assert account.deposit(10) == 10


def test_withdraw_too_much():
    account = Account("ada", 5)
    with pytest.raises(ValueError):
        account.withdraw(10)


def test_find_missing():
    assert find([Account("ada")], "bob") is None
