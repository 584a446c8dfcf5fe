"""The `<id:…>` path converter for row ids in public addresses: at most 18
digits, so an id always fits a 64-bit key column and a longer one is a 404 at
the URL rather than an overflow in the database (registered in apps.py)."""


class RowIdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
