"""Comparators of the sheet_checks test sheet: shipped in the student bundle."""


def any_order(expected, got):
    """The two ends in either order; a sentence says what is wrong."""
    if not isinstance(got, list) or len(got) != 2:
        return "two numbers were expected, the smallest and the largest"
    if sorted(got) == sorted(expected):
        return True
    return "these are not the smallest and the largest values of x"


COMPARATORS = {"any_order": any_order}
