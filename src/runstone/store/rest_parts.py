"""What the parts (mixins) of :class:`runstone.store.rest.RestStore` share: the transport
they call, which RestStore provides, and small JSON helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

T = TypeVar("T")
JsonDict = dict[str, Any]


def ignore(_: JsonDict) -> None:
    """The reader of answers whose body (``{}``) carries nothing."""
    return None


class RestParts:
    """Base of RestStore's parts; RestStore implements the transport declared here."""

    if TYPE_CHECKING:

        def _get(self, path: str, query: Mapping[str, Any], read: Callable[[JsonDict], T]) -> T: ...

        def _send(
            self,
            method: str,
            path: str,
            body: JsonDict,
            read: Callable[[JsonDict], T],
            *,
            idempotent: bool,
            idempotency_key: str | None = None,
        ) -> T: ...
