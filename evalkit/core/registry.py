"""Registries of methods: name -> function with one signature and one docstring form.

Every family of methods (scoring, weighting, aggregation, peer scheme, interval method, ...)
is a :class:`Registry`. A method may carry *traits* (``objective=True``,
``needs_target=True``, ...) given at registration, so what a layer needs to know about a
method is asked of the registry (:meth:`Registry.trait`, :meth:`Registry.having`) rather than
kept in a set beside it. The spec names methods by their keys; ``evalkit methods`` and the
docs list them from here; the tests run every registered method through the same property
checks.

Examples
--------
>>> from evalkit.core.registry import Registry
>>> greet = Registry("greeting")
>>> @greet.register("hello")
... def _hello(name: str) -> str:
...     '''Say hello.'''
...     return f"hello {name}"
>>> greet["hello"]("city")
'hello city'
>>> list(greet)
['hello']
>>> @greet.register("hi", informal=True)
... def _hi(name: str) -> str:
...     return f"hi {name}"
>>> greet.trait("hi", "informal"), greet.having("informal")
(True, ['hi'])
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pydantic import ConfigDict, TypeAdapter, ValidationError

from evalkit.core.errors import EvalkitError, SpecError, unknown_keys

_STRICT = ConfigDict(strict=True, allow_inf_nan=False)


class Registry:
    """A named mapping of method keys to callables."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._items: dict[str, Callable[..., Any]] = {}
        self._traits: dict[str, dict[str, Any]] = {}
        self._checks: dict[tuple[str, str], Any] = {}   # signatures and type checks, built once

    def register(self, key: str, **traits: Any
                 ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator registering ``func`` under ``key`` with optional ``traits``."""

        def deco(func: Callable[..., Any]) -> Callable[..., Any]:
            if key in self._items:
                raise ValueError(f"{self.family} method {key!r} registered twice")
            self._items[key] = func
            self._traits[key] = dict(traits)
            return func

        return deco

    def trait(self, key: str, name: str, default: Any = False) -> Any:
        """The trait ``name`` of method ``key`` (``default`` when it was not given)."""
        return self._traits.get(key, {}).get(name, default)

    def parameters(self, key: str, skip: set[str] | frozenset[str] = frozenset()
                   ) -> tuple[set[str], set[str]]:
        """The keyword parameters method ``key`` accepts and those it requires (no default),
        read from its signature, less ``skip`` (the arguments every method of the family gets).
        """
        sig = self._cached(key, "", lambda: inspect.signature(self.get(key)))
        names = {n for n, p in sig.parameters.items() if n not in skip
                 and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
        required = {n for n in names if sig.parameters[n].default is inspect.Parameter.empty}
        return names, required

    def check_params(self, key: str, params: Mapping[str, Any], where: str,
                     skip: set[str] | frozenset[str] = frozenset()) -> list[SpecError]:
        """Problems of ``params`` given to method ``key``, each named ``where.<param>``.

        Unknown and missing parameters, and values that do not fit the parameter's type
        annotation (checked by pydantic, strictly: ``'x'`` is not a number, ``'70,85'`` not a
        list of numbers, ``.inf`` and ``.nan`` not finite numbers, a ``Literal`` lists its
        choices). The one check of method parameters for every registry.
        """
        accepted, required = self.parameters(key, skip)
        of = f" for {self.family} method {key!r}"
        out = unknown_keys(params, accepted, where, "parameter", of)
        out += [SpecError(f"{self.family} method {key!r} needs parameter {k!r}", f"{where}.{k}")
                for k in sorted(required - set(params))]
        hints = self._cached(key, "hints", lambda: typing.get_type_hints(self.get(key)))
        for name in sorted(set(params) & accepted):
            if name in hints:
                adapter = self._cached(key, name, lambda n=name: TypeAdapter(hints[n],
                                                                             config=_STRICT))
                try:
                    adapter.validate_python(params[name])
                except ValidationError as err:
                    msg = "; ".join(e["msg"] for e in err.errors())
                    out.append(SpecError(f"{msg} (got {params[name]!r})", f"{where}.{name}"))
        return out

    def _cached(self, key: str, what: str, make: Callable[[], Any]) -> Any:
        """``make()`` for method ``key`` once (signature, type hints, a parameter's check)."""
        if (key, what) not in self._checks:
            self._checks[(key, what)] = make()
        return self._checks[(key, what)]

    def having(self, name: str) -> list[str]:
        """Keys of the methods whose trait ``name`` is truthy."""
        return [k for k in self._items if self._traits[k].get(name)]

    def get(self, key: str, where: str | None = None) -> Callable[..., Any]:
        """Return the method ``key`` or raise an :class:`EvalkitError` listing the known keys."""
        try:
            return self._items[key]
        except KeyError:
            known = ", ".join(sorted(self._items))
            raise EvalkitError(
                f"unknown {self.family} method {key!r}; expected one of: {known}", where
            ) from None

    __getitem__ = get

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def describe(self) -> dict[str, str]:
        """First docstring line of each method, for listings."""
        return {k: (f.__doc__ or "").strip().splitlines()[0] if f.__doc__ else "" for k, f in
                self._items.items()}
