"""A fault-injection hook: the process kills itself (SIGKILL) when a turn reaches the stage the settings name.

The kill tests run a real turn in a real process with ``crash_at_stage`` set
and check that the session afterwards is exactly as before the message or
exactly as after it.  Unset (the default), the hook does nothing.
"""

from __future__ import annotations

import os
import signal

from assistant.settings import TurnStage


class StageCrash:
    def __init__(self, stage: TurnStage | None = None) -> None:
        self.stage = stage

    def reached(self, stage: TurnStage) -> None:
        if stage == self.stage:
            os.kill(os.getpid(), signal.SIGKILL)
