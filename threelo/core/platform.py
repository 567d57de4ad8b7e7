"""Everything the protocol logic needs, wired once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from threelo.core.clock import Clock, SystemClock
from threelo.core.keys import KeyRing
from threelo.core.policy import Policy
from threelo.core.ports import Store
from threelo.core.scopes import ScopeCatalogue


@dataclass
class Platform:
    store: Store
    policy: Policy = field(default_factory=Policy)
    clock: Clock = field(default_factory=SystemClock)
    catalogue: ScopeCatalogue = field(default_factory=ScopeCatalogue)
    keys: KeyRing = field(init=False)

    def __post_init__(self) -> None:
        # Retired keys stay published one access-token lifetime (plus skew) after retirement.
        self.keys = KeyRing(
            self.store, self.clock, self.policy.access_token_ttl + self.policy.clock_skew
        )
