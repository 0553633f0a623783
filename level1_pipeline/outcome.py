"""What a trained candidate became: one name per outcome, compared as such (never as a string)."""

from enum import StrEnum


class Became(StrEnum):
    """What a candidate became (the version's `release` tag says it too)."""

    CHAMPION = "champion"  # serves everyone
    CHALLENGER = "challenger"  # tested on live traffic before it may serve everyone
    REJECTED = "rejected"  # by a person, or by the sign-off's timeout
    REGISTERED = "registered"  # a gate failed, or the champion moved while it was promoted (why_not says)
