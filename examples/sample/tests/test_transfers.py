from ledger.accounts import Account
from ledger.transfers import fee, transfer


def test_transfer_moves_money():
    accounts = [Account("ada", 100), Account("bob")]
    assert transfer(accounts, "ada", "bob", 30)
    assert accounts[1].balance == 30


def test_fee_rounds_up():
    assert fee(150) == 2
