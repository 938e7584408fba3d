"""Row scope: which hospitals a principal may see, and refusals that leak nothing.

* admin: every hospital (``Scope.all``).
* commission / insurance: the hospitals of its jurisdiction (province, city, district of ``hospitals``);
  no jurisdiction means the whole warehouse.
* hospital: its own ``hospital_id`` only.

A request naming a hospital outside the scope is refused with 403 and the same message whether that
hospital exists or not, so the refusal does not tell an outsider which hospitals are in the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis

from hospeval.present.auth import Principal
from hospeval.present.db import Reader


class Forbidden(Exception):
    """The caller may not see this; the message never names data outside its scope."""

    def __init__(self, message: str = "outside your scope (不在您的权限范围内)") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Scope:
    """The hospitals one principal may see (``hospitals is None`` = all)."""

    principal: Principal
    hospitals: frozenset[str] | None

    @property
    def unrestricted(self) -> bool:
        """True for admin and for users without a jurisdiction."""
        return self.hospitals is None

    def allows(self, hospital_id: str | None) -> bool:
        """Return true when the principal may see ``hospital_id``."""
        return self.hospitals is None or (hospital_id is not None and hospital_id in self.hospitals)

    def check(self, hospital_id: str | None) -> None:
        """Raise :class:`Forbidden` unless ``hospital_id`` is in scope."""
        if not self.allows(hospital_id):
            raise Forbidden()

    def narrow(self, hospital_id: str) -> Scope:
        """Check ``hospital_id`` and return the scope of that one hospital.

        Pages about one hospital use it, so that every user allowed to see the hospital shares cached results.
        """
        self.check(hospital_id)
        return Scope(self.principal, frozenset({hospital_id}))

    def filter(self, table: ibis.Table, column: str = "hospital_id") -> ibis.Table:
        """Keep the rows of ``table`` whose ``column`` is in scope."""
        if self.hospitals is None:
            return table
        return table.filter(table[column].isin(sorted(self.hospitals)))


def resolve(principal: Principal, reader: Reader) -> Scope:
    """Work out the hospitals ``principal`` may see, from the warehouse's ``hospitals`` table."""
    if principal.role == "admin":
        return Scope(principal, None)
    if principal.role == "hospital":
        return Scope(principal, frozenset({principal.hospital_id}) if principal.hospital_id else frozenset())
    limits = {k: v for k, v in (("province", principal.province), ("city", principal.city),
                                ("district", principal.district)) if v}
    if not limits:
        return Scope(principal, None)
    if not reader.has("hospitals"):
        return Scope(principal, frozenset())

    def lookup() -> frozenset[str]:
        hospitals = reader.table("hospitals")
        for column, value in limits.items():
            hospitals = hospitals.filter(hospitals[column] == value)
        ids = reader.arrow(hospitals.select("hospital_id")).column("hospital_id").to_pylist()
        return frozenset(i for i in ids if i is not None)

    return Scope(principal, reader.memo(("jurisdiction", tuple(limits.items())), lookup))
