
class Thing:
    def keep(self):
        return "keep"

    def remove(self):
        return "remove"

    def old_name(self):
        return "old"
