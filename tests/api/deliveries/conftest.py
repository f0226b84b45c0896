from tests.support.identity import fake_clock, harness

__all__ = ["fake_clock", "harness"]
