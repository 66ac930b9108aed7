
class Thing:
    def keep(self):
        return "keep"

    def new_name(self):
        return "new"

    def added(self):
        return self.keep() + "+added"
