"""The one back-off formula (pure): feed polls after errors, delivery retries, handler retries, start-up."""


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """The pause before retry number `attempt` (1, 2, 3, …): base, 2 × base, 4 × base, … and never more than `cap`.

    Callers add their own jitter and floors (Retry-After), which differ by what is being retried.
    """
    if attempt < 1:
        return 0.0
    return min(base * 2 ** min(attempt - 1, 62), cap)
