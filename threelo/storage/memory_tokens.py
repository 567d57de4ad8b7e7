"""Memory repositories for grants, token families, refresh tokens and authorization codes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from threelo.core.models import Account, AuthorizationCode, Grant, RefreshToken, TokenFamily
from threelo.core.ports import Conflict, Later
from threelo.storage.memory_state import Journal, Tables, answered
from threelo.storage.values import checked, reject_nul_values, utc


class MemoryGrants:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def add(self, grant: Grant) -> None:
        grant = checked(grant)
        key = (grant.client_id, grant.account_id)
        if grant.grant_id in self._t.grants or key in self._t.grant_keys:
            raise Conflict("the app already holds a grant for this account")
        self._j.writing(self._t.grants)[grant.grant_id] = grant
        self._j.writing(self._t.grant_keys)[key] = grant.grant_id

    def get(self, grant_id: str) -> Grant | None:
        return self._t.grants.get(grant_id)

    def get_later(self, grant_id: str) -> Later[Grant | None]:
        return answered(self.get(grant_id))

    def get_with_account(self, grant_id: str) -> tuple[Grant, Account | None] | None:
        grant = self._t.grants.get(grant_id)
        return None if grant is None else (grant, self._t.accounts.get(grant.account_id))

    def find(self, client_id: str, account_id: str) -> Grant | None:
        grant_id = self._t.grant_keys.get((client_id, account_id))
        return None if grant_id is None else self._t.grants.get(grant_id)

    def find_later(self, client_id: str, account_id: str) -> Later[Grant | None]:
        return answered(self.find(client_id, account_id))

    def update(self, grant: Grant) -> None:
        grant = checked(grant)
        old = self._t.grants.get(grant.grant_id)
        if old is not None:
            self._j.writing(self._t.grants)[grant.grant_id] = dataclasses.replace(
                old,
                scopes=grant.scopes,
                sites=grant.sites,
                app_scopes_version=grant.app_scopes_version,
                updated_at=grant.updated_at,
                last_used_at=grant.last_used_at,
            )

    def delete(self, grant_id: str) -> bool:
        grant = self._t.grants.get(grant_id)
        if grant is None:
            return False
        MemoryCodes(self._t, self._j).delete_for_grant(grant_id)
        del self._j.writing(self._t.grants)[grant_id]
        del self._j.writing(self._t.grant_keys)[(grant.client_id, grant.account_id)]
        return True

    def touch(self, grant_id: str, at: datetime) -> None:
        at = utc(at)
        grant = self._t.grants.get(grant_id)
        if grant is not None:
            self._j.writing(self._t.grants)[grant_id] = dataclasses.replace(grant, last_used_at=at)

    def for_account(self, account_id: str) -> Sequence[Grant]:
        return self._ordered(g for g in self._t.grants.values() if g.account_id == account_id)

    def for_app(self, client_id: str) -> Sequence[Grant]:
        return self._ordered(g for g in self._t.grants.values() if g.client_id == client_id)

    def with_site(self, cloud_id: str) -> Sequence[Grant]:
        return self._ordered(g for g in self._t.grants.values() if cloud_id in g.sites)

    @staticmethod
    def _ordered(grants: Iterable[Grant]) -> Sequence[Grant]:
        return sorted(grants, key=lambda g: (g.created_at, g.grant_id))


class MemoryFamilies:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def add(self, family: TokenFamily) -> None:
        family = checked(family)
        if family.family_id in self._t.families:
            raise Conflict("a token family with this id exists")
        self._j.writing(self._t.families)[family.family_id] = family

    def get(self, family_id: str, *, for_update: bool = False) -> TokenFamily | None:
        return self._t.families.get(family_id)  # the store-wide lock already serialises writers

    def get_later(self, family_id: str) -> Later[TokenFamily | None]:
        return answered(self.get(family_id))

    def of_token(self, digest: str, *, for_update: bool = False) -> TokenFamily | None:
        token = self._t.refresh_tokens.get(digest)
        return None if token is None else self._t.families.get(token.family_id)

    def of_token_later(self, digest: str, *, for_update: bool = False) -> Later[TokenFamily | None]:
        return answered(self.of_token(digest, for_update=for_update))

    def update(self, family: TokenFamily) -> None:
        """Update the stored family; its sites stay those it was created with."""
        family = checked(family)
        old = self._t.families.get(family.family_id)
        if old is not None:
            self._j.writing(self._t.families)[family.family_id] = dataclasses.replace(
                old,
                offline=family.offline,
                last_used_at=family.last_used_at,
                generation=family.generation,
                rotated_at=family.rotated_at,
                # Revocation is final: an update never brings a family back (RFC 6819 §5.2.2.3).
                revoked_at=old.revoked_at or family.revoked_at,
                revoked_reason=old.revoked_reason if old.revoked_at else family.revoked_reason,
            )

    def revoke(self, family_id: str, at: datetime, reason: str) -> None:
        self._revoke_where(lambda f: f.family_id == family_id, at, reason)

    def revoke_for_grant(self, grant_id: str, at: datetime, reason: str) -> int:
        return self._revoke_where(lambda f: f.grant_id == grant_id, at, reason)

    def revoke_for_account(self, account_id: str, at: datetime, reason: str) -> int:
        return self._revoke_where(lambda f: f.account_id == account_id, at, reason)

    def _revoke_where(
        self, chosen: Callable[[TokenFamily], bool], at: datetime, reason: str
    ) -> int:
        reject_nul_values(reason=reason)
        at = utc(at)
        live = [f for f in self._t.families.values() if f.revoked_at is None and chosen(f)]
        if live:
            table = self._j.writing(self._t.families)
            for family in live:
                table[family.family_id] = dataclasses.replace(
                    family, revoked_at=at, revoked_reason=reason
                )
        return len(live)

    def for_grant(self, grant_id: str) -> Sequence[TokenFamily]:
        found = [f for f in self._t.families.values() if f.grant_id == grant_id]
        return sorted(found, key=lambda f: (f.created_at, f.family_id))


class MemoryRefreshTokens:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def add(self, token: RefreshToken) -> None:
        token = checked(token)
        if token.digest in self._t.refresh_tokens:
            raise Conflict("a refresh token with this digest exists")
        self._j.writing(self._t.refresh_tokens)[token.digest] = token

    def get(self, digest: str) -> RefreshToken | None:
        return self._t.refresh_tokens.get(digest)

    def get_with_grant(
        self, digest: str
    ) -> tuple[RefreshToken, tuple[Grant, Account | None] | None] | None:
        token = self._t.refresh_tokens.get(digest)
        if token is None:
            return None
        family = self._t.families.get(token.family_id)
        grant = None if family is None else self._t.grants.get(family.grant_id)
        if grant is None:
            return token, None
        return token, (grant, self._t.accounts.get(grant.account_id))

    def spend(self, digest: str, at: datetime) -> bool:
        at = utc(at)
        token = self._t.refresh_tokens.get(digest)
        if token is None or token.spent_at is not None:
            return False
        self._j.writing(self._t.refresh_tokens)[digest] = dataclasses.replace(token, spent_at=at)
        return True

    def spend_generation(self, family_id: str, generation: int, at: datetime) -> None:
        at = utc(at)
        unspent = [
            t
            for t in self._t.refresh_tokens.values()
            if t.family_id == family_id and t.generation == generation and t.spent_at is None
        ]
        if unspent:
            table = self._j.writing(self._t.refresh_tokens)
            for token in unspent:
                table[token.digest] = dataclasses.replace(token, spent_at=at)


class MemoryCodes:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def add(self, code: AuthorizationCode) -> None:
        code = checked(code)
        if code.digest in self._t.codes:
            raise Conflict("a code with this digest exists")
        self._j.writing(self._t.codes)[code.digest] = code

    def get(self, digest: str) -> AuthorizationCode | None:
        return self._t.codes.get(digest)

    def redeem(self, digest: str, at: datetime) -> AuthorizationCode | None:
        at = utc(at)
        code = self._t.codes.get(digest)
        if code is None or code.redeemed_at is not None:
            return None
        redeemed = dataclasses.replace(code, redeemed_at=at)
        self._j.writing(self._t.codes)[digest] = redeemed
        return redeemed

    def redeem_with_grant(
        self, digest: str, at: datetime
    ) -> tuple[AuthorizationCode, tuple[Grant, Account | None] | None] | None:
        code = self.redeem(digest, at)
        if code is None:
            return None
        grant = self._t.grants.get(code.grant_id)
        return code, None if grant is None else (grant, self._t.accounts.get(grant.account_id))

    def set_family(self, digest: str, family_id: str) -> None:
        reject_nul_values(family_id=family_id)
        code = self._t.codes.get(digest)
        if code is not None:
            self._j.writing(self._t.codes)[digest] = dataclasses.replace(code, family_id=family_id)

    def delete_for_grant(self, grant_id: str) -> int:
        doomed = [d for d, c in self._t.codes.items() if c.grant_id == grant_id]
        if doomed:
            table = self._j.writing(self._t.codes)
            for digest in doomed:
                del table[digest]
        return len(doomed)

    def purge_expired(self, before: datetime) -> int:
        doomed = [k for k, v in self._t.codes.items() if v.expires_at < before]
        if doomed:
            table = self._j.writing(self._t.codes)
            for key in doomed:
                del table[key]
        return len(doomed)
