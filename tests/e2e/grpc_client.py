"""The Python event store client (PyPI's kurrentdbclient, unmodified) against
`kroonika serve --grpc`, over TLS: run by tests/it/grpc.rs with the
connection strings of a program granted the 'referral' category (INTAKE) and
of an auditor (WAREHOUSE). Exits non-zero on the first check that fails."""

import os
import threading
import uuid

from kurrentdbclient import KurrentDBClient, NewEvent, StreamState
from kurrentdbclient.exceptions import (
    AccessDeniedError,
    NotFoundError,
    StreamIsDeletedError,
    WrongCurrentVersionError,
)

intake = KurrentDBClient(uri=os.environ["INTAKE"])
warehouse = KurrentDBClient(uri=os.environ["WAREHOUSE"])


def fresh():
    return f"referral-{uuid.uuid4()}"


# Append (the client's append_to_stream is a batch append), read back.
stream = fresh()
events = [
    NewEvent(type="ReferralReceived", data=b'{"from":"police"}'),
    NewEvent(type="Scan", data=b"\x00\x01\xff", content_type="application/octet-stream",
             metadata=b"scanner-7"),
]
position = intake.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=events)
read = intake.get_stream(stream)
assert [(e.type, e.data, e.metadata, e.stream_position) for e in read] == [
    ("ReferralReceived", b'{"from":"police"}', b"", 0),
    ("Scan", b"\x00\x01\xff", b"scanner-7", 1),
], read
assert read[1].content_type == "application/octet-stream", read[1].content_type
assert read[1].commit_position == position

# Retrying the same events (same ids) writes nothing.
again = intake.append_to_stream(stream, current_version=StreamState.ANY, events=events)
assert again == position, (again, position)
assert len(intake.get_stream(stream)) == 2

# A wrong expected version is the client's WrongCurrentVersionError.
try:
    intake.append_to_stream(stream, current_version=5, events=[NewEvent(type="X", data=b"{}")])
    raise AssertionError("a wrong expected version was accepted")
except WrongCurrentVersionError:
    pass

# Not found, deleted, tombstoned.
try:
    intake.get_stream(fresh())
    raise AssertionError("a missing stream was found")
except NotFoundError:
    pass
gone = fresh()
intake.append_to_stream(gone, current_version=StreamState.NO_STREAM, events=[NewEvent(type="X", data=b"{}")])
intake.delete_stream(gone, current_version=0)
try:
    intake.get_stream(gone)
    raise AssertionError("a deleted stream was read")
except NotFoundError:
    pass
dead = fresh()
intake.append_to_stream(dead, current_version=StreamState.NO_STREAM, events=[NewEvent(type="X", data=b"{}")])
intake.tombstone_stream(dead, current_version=StreamState.ANY)
try:
    intake.append_to_stream(dead, current_version=StreamState.ANY, events=[NewEvent(type="X", data=b"{}")])
    raise AssertionError("a tombstoned stream took an event")
except StreamIsDeletedError:
    pass

# Bad input gets a clear refusal naming what is wrong, and nothing written.
def refused(call, words):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - any client error will do
        assert words in str(error), (words, str(error))
        return
    raise AssertionError(f"accepted: {words}")

refused(lambda: intake.append_to_stream(fresh(), current_version=StreamState.ANY,
        events=[NewEvent(type="X", data=b"{}", content_type="text/plain")]), "text/plain")
refused(lambda: intake.append_to_stream("referrals", current_version=StreamState.ANY,
        events=[NewEvent(type="X", data=b"{}")]), "has no category")
big = fresh()
refused(lambda: intake.append_to_stream(big, current_version=StreamState.ANY,
        events=[NewEvent(type="X", data=b"0" * (1024 * 1024 + 1))]), "1048576")
try:
    intake.get_stream(big)
    raise AssertionError("part of an oversized append was kept")
except NotFoundError:
    pass
refused(lambda: list(warehouse.read_all(filter_include=["(unclosed"])), "(unclosed")

# Kroonika's own streams are not a program's to write; $all is an auditor's.
try:
    intake.append_to_stream(f"case-{uuid.uuid4()}", current_version=StreamState.ANY,
                            events=[NewEvent(type="CaseOpened", data=b"{}")])
    raise AssertionError("a program wrote a case stream")
except AccessDeniedError:
    pass
try:
    intake.get_commit_position()
    raise AssertionError("a program read $all")
except AccessDeniedError:
    pass

# The auditor follows the log with the client's default filter (system
# events excluded by a look-around regex), with checkpoints and caught-up:
# every event in order, then a live one.
head = warehouse.get_commit_position()
assert head >= position, (head, position)
seen = []
live = fresh()
subscription = warehouse.subscribe_to_all(include_checkpoints=True, include_caught_up=True,
                                          window_size=5, checkpoint_interval_multiplier=1)
caught_up = False
checkpoints = 0
wrote = False
for item in subscription:
    kind = type(item).__name__
    if kind == "CaughtUp":
        caught_up = True
        if not wrote:
            wrote = True
            threading.Thread(target=lambda: intake.append_to_stream(
                live, current_version=StreamState.NO_STREAM,
                events=[NewEvent(type="ReferralReceived", data=b"{}")])).start()
        continue
    if kind == "Checkpoint":
        checkpoints += 1
        continue
    assert not item.type.startswith("$"), item.type
    seen.append(item.commit_position)
    if item.stream_name == live:
        break
subscription.stop()
assert caught_up
assert checkpoints > 0
assert seen == sorted(seen) and len(seen) == len(set(seen)), seen
assert seen[0] == 1, seen[:3]

# A catch-up subscription to one stream from its start.
subscription = intake.subscribe_to_stream(stream)
got = [next(subscription).stream_position for _ in range(2)]
subscription.stop()
assert got == [0, 1], got

print("kurrentdbclient: all checks passed", flush=True)
# grpcio's channel close at interpreter exit can wait on its own threads
# after stopped subscriptions; every check is done, so leave at once.
os._exit(0)
