class Account:
    def __init__(self, balance):
        self.balance = balance

    def deposit(self, amount):
        self.balance += amount

    def legacy_withdraw(self, amount):
        self.balance -= amount

    def report(self):
        return self.balance
