"""Control operations for the mixer: every kind pickles (a media worker in another process will be
sent them) and `apply` makes exactly the mixer call it names."""

from __future__ import annotations

import pickle
from typing import Any, get_args

import pytest

from mixer import Acoustics, Mixer
from sfu.mixerops import AddParticipant, MixerOp, RemoveParticipant, SetAcoustics, SetMuted, SetPose, SetPreference
from sfu.mixerops import apply

LINEAR = Acoustics(distance_model="linear", audible_radius=12.0)
EXAMPLES: list[tuple[MixerOp, tuple[str, tuple[Any, ...], dict[str, Any]]]] = [
    (AddParticipant("a", 1.0, 2.0, 90.0), ("add", ("a", 1.0, 2.0, 90.0), {})),
    (RemoveParticipant("a"), ("remove", ("a",), {})),
    (SetPose("a", 3.0, 4.0, 180.0), ("set_pose", ("a", 3.0, 4.0, 180.0), {})),
    (SetMuted("a", True), ("set_source", ("a",), {"muted": True})),
    (SetPreference("l", "s", False, 2.0), ("set_preference", ("l", "s"), {"muted": False, "gain": 2.0})),
    (SetPreference("l", "s", None, 0.5), ("set_preference", ("l", "s"), {"muted": None, "gain": 0.5})),
    (SetAcoustics(LINEAR), ("set_acoustics", (LINEAR,), {})),
]


class CallLog:
    """Records every mixer call as (name, args, kwargs)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


def test_every_kind_of_op_is_covered() -> None:
    assert {type(op) for op, _ in EXAMPLES} == set(get_args(MixerOp))


@pytest.mark.parametrize(("op", "call"), EXAMPLES, ids=lambda v: type(v).__name__)
def test_every_op_pickles_and_makes_its_call(op: MixerOp, call: tuple[str, tuple[Any, ...], dict[str, Any]]) -> None:
    again = pickle.loads(pickle.dumps(op))
    assert again == op and type(again) is type(op)
    log = CallLog()
    apply(log, again)  # type: ignore[arg-type]
    assert log.calls == [call]


def test_the_real_mixer_takes_every_op() -> None:
    mixer = Mixer()
    for op in (AddParticipant("a", 1.0, 2.0, 0.0), AddParticipant("b", 5.0, 2.0, 0.0), SetPose("a", 2.0, 2.0, 90.0),
               SetMuted("a", True), SetPreference("b", "a", None, 0.5), SetAcoustics(LINEAR),
               RemoveParticipant("a")):
        apply(mixer, op)
    assert set(mixer.participants) == {"b"}
    with pytest.raises(KeyError):
        apply(mixer, SetPose("nobody", 0.0, 0.0, 0.0))
