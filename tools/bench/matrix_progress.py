"""Progress of a matrix run: which case of how many, and the time left.

A case is one run of forkless-bench (one leg of one row group) or one
start-up measurement. The time left, printed as a case starts, counts that
case and those after it, each estimated on its own: a case already
run in an earlier repetition is expected to take what it took then (the legs
differ by 100x, from 0.02 GiB to 4 GiB); any other case the mean of the cases
run so far. Before the first case ends there is no estimate, and none is made
up. Python 3 standard library only.
"""
import contextlib
import time


def duration_text(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class MatrixProgress:
    def __init__(self, planned, report, clock=time.monotonic):
        """planned: the case keys in the order they will run (a key names a case without its
        repetition); report: called with each progress line."""
        self.planned = list(planned)
        self.report = report
        self.clock = clock
        self.done = 0
        self.took = {}      # key -> seconds it took the last time
        self.total_seconds = 0.0

    def estimate_left(self):
        """Seconds the cases not yet started should take, or None before any case has ended."""
        if self.done == 0:
            return None
        mean = self.total_seconds / self.done
        return sum(self.took.get(key, mean) for key in self.planned[self.done:])

    def line(self, label):
        left = self.estimate_left()
        tail = "estimating the time left" if left is None else f"about {duration_text(left)} left"
        return f"case {self.done + 1}/{len(self.planned)}: {label} ({tail})"

    @contextlib.contextmanager
    def case(self, key, label):
        """Runs one case: reports it before, records how long it took after."""
        if self.done >= len(self.planned) or self.planned[self.done] != key:
            # The plan and the run disagree (a bug in the plan): say so, and go on with the run.
            self.report(f"progress: case {key} was not planned here; the count may be off")
            self.planned.insert(self.done, key)
        self.report(self.line(label))
        started = self.clock()
        try:
            yield
        finally:
            took = self.clock() - started
            self.took[key] = took
            self.total_seconds += took
            self.done += 1
