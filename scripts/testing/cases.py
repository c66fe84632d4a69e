"""What the live-server suites (test_chaos.py, test_training_faults.py) share for their cases:
a failed expectation ends the case with its message, and the suite reports it and goes on."""


class CaseFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CaseFailed(message)
