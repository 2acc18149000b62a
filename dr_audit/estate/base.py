"""Shared building blocks of the Estate: the base model, resource references and read gaps."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import FrozenInstanceError, dataclass
from datetime import UTC, datetime
from types import UnionType
from typing import Any, ClassVar, Self, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import SchemaValidator, core_schema

from ..fields import new_dict

# The validation context key under which Estate.load asks models to read strictly: a field absent from the
# snapshot is unknown, not its default. Collectors and plans build models with partial kwargs and never set it.
STRICT_SNAPSHOT = "strict_snapshot"
ABSENT_FROM_SNAPSHOT = "absent from snapshot"
# What plan mapping writes into a value Terraform knows only after apply (an attribute's reason, or a rule field).
UNKNOWN_UNTIL_APPLY = "unknown until apply"
UNREADABLE_NOT_RECORDED = "unknown: the snapshot does not record which of this resource's reads failed"


@dataclass(frozen=True, slots=True)
class Plausible:
    """The documented or physical range of a value that decides a verdict, declared next to its field.

    A value outside it is not evidence: the enclosing resource records it in `unreadable` (so checks answer ERROR
    naming the field and value). On a list field the bounds apply to every element.
    """

    low: float | datetime | None = None
    high: float | datetime | None = None

    def violation(self, value: Any) -> str | None:
        """Why `value` is out of range, or None when it is plausible (None itself is "not reported", not wrong)."""
        if value is None:
            return None
        try:  # most values are numbers or aware times well within range
            if (self.low is None or self.low <= value) and (self.high is None or value <= self.high):
                return None
        except TypeError:
            pass  # a list, a naive time, text: looked at below
        if isinstance(value, list | tuple):
            return next((why for item in value if (why := self.violation(item))), None)
        if isinstance(value, bool) or not isinstance(value, int | float | datetime):
            return None
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # compared as UTC; checks reject naive times on their own
        if isinstance(value, float) and value != value:
            return f"{value!r}, not a number"
        if self.low is not None and value < self.low:
            return f"{_shown(value)}, below {_shown(self.low)}"
        if self.high is not None and value > self.high:
            return f"{_shown(value)}, above {_shown(self.high)}"
        return None


def _shown(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else repr(value)


# Bounds shared by many fields. No cloud record predates 2000; nothing observed is dated after 2100.
DAYS = Plausible(0, 36500)  # a retention or age in days: at most a century
TIMESTAMP = Plausible(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
# A deadline (expiry, validity end) may be set far ahead; only its lower end is physical.
DEADLINE = Plausible(datetime(2000, 1, 1, tzinfo=UTC), None)


_object_setattr = object.__setattr__


class Model(BaseModel):
    """Base of every Estate model: unknown fields are rejected so a corrupt snapshot fails loudly."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    def __setattr__(self, name: str, value: Any) -> None:
        # pydantic adds an assigned field's name to the model's set of given fields; a set shared with other
        # models (SharedFieldNames) is first replaced by the model's own copy.
        if self.__pydantic_fields_set__.__class__ is SharedFieldNames:
            _object_setattr(self, "__pydantic_fields_set__", set(self.__pydantic_fields_set__))
        super().__setattr__(name, value)


class SharedFieldNames(set[str]):
    """The names of the fields a model was given, one set shared by every model of a snapshot given the same
    names: pydantic makes a set per model, about 700 bytes, a quarter of a loaded resource's memory.

    Never changed in place: a model assigned a field takes its own copy first (Model.__setattr__), a copy of a
    model (model_copy, copy, deepcopy) gets a plain set, and anything else changing it is refused."""

    def __copy__(self) -> set[str]:
        return set(self)

    def __deepcopy__(self, memo: Any) -> set[str]:
        return set(self)

    def _refuse(self, *args: Any) -> Any:
        raise TypeError("a shared set of given field names is never changed in place")

    add = discard = remove = pop = clear = update = _refuse
    difference_update = intersection_update = symmetric_difference_update = _refuse
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse  # type: ignore[assignment]


class ResourceRef:
    """What a finding is about: the contract's `resource` object, immutable and compared by value.

    A slotted class, not a model: one is made per finding (a million in a large estate), and a model cost
    microseconds and about half a kilobyte each. Its fields are set through their slot descriptors, not a frozen
    dataclass's `object.__setattr__` calls, which made it twice as costly. A field that is not text still fails where
    the ref is made (in its check, which then answers ERROR), never later in the report.
    """

    __slots__ = ("type", "id", "region", "account")
    type: str
    id: str
    region: str
    account: str

    def __init__(self, type: str, id: str, region: str = "", account: str = "") -> None:
        if not (isinstance(type, str) and isinstance(id, str) and isinstance(region, str)
                and isinstance(account, str)):
            raise TypeError(f"a resource reference holds text only, not {(type, id, region, account)!r}")
        _SET_TYPE(self, type)
        _SET_ID(self, id)
        _SET_REGION(self, region)
        _SET_ACCOUNT(self, account)

    def _fields(self) -> tuple[str, str, str, str]:
        return self.type, self.id, self.region, self.account

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        return other.__class__ is ResourceRef and self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"ResourceRef(type={self.type!r}, id={self.id!r}, region={self.region!r}, account={self.account!r})"

    def __reduce__(self) -> tuple[Any, tuple[str, str, str, str]]:
        return ResourceRef, self._fields()


_SET_TYPE, _SET_ID, _SET_REGION, _SET_ACCOUNT = (getattr(ResourceRef, name).__set__ for name in ResourceRef.__slots__)


class Origin(Model):
    """Where a resource was declared, for plan sources (Terraform address, file and line)."""

    address: str
    file: str | None = None
    line: int | None = None


class Resource(Model):
    """An observed cloud resource.

    `unreadable` maps an attribute name to the reason it could not be read (a denied call, a throttled-out read,
    or "unknown until apply" under a plan). Checks that need such an attribute answer ERROR for this resource.
    Its validator adds to it: a value outside its field's `Plausible` bounds ("implausible value …", always), and,
    only when Estate.load reads a snapshot, each field absent from it ("absent from snapshot"). A snapshot's
    resources, and the models inside them, then share one set of given field names per distinct set
    (SharedFieldNames).
    """

    RESOURCE_TYPE: ClassVar[str] = "resource"

    account: str
    region: str = ""
    unreadable: dict[str, str] = Field(default_factory=new_dict)
    origin: Origin | None = None

    @property
    def resource_id(self) -> str:
        raise NotImplementedError

    def ref(self) -> ResourceRef:
        # Under a plan the cloud id is often unknown until apply; the Terraform address names the resource instead.
        resource_id = self.origin.address if self.origin is not None else self.resource_id
        return ResourceRef(self.RESOURCE_TYPE, resource_id, self.region, self.account)

    def unknown(self, *attributes: str) -> str | None:
        """The reason the first of `attributes` could not be read, or None when all were read."""
        for attribute in attributes:
            if attribute in self.unreadable:
                return f"{attribute}: {self.unreadable[attribute]}"
        return None

    @model_validator(mode="after")
    def _absent_or_implausible_is_unknown(self, info: ValidationInfo) -> Self:
        """Under strict snapshot reading, every defaulted field absent from it (here or in a nested model) is
        unknown; always, so is every value out of its declared range.

        Worked out after validation, from the fields each model was given: no copy of the resource's input is
        made, and the input need not be Python objects at all. A snapshot runs this for each of its resources, so
        what it asks of the class is looked up once (`_Judging`) and its values are read from the instance dict."""
        judging = _JUDGING.get(type(self)) or _judging(type(self))
        context = info.context
        if context and context.get(STRICT_SNAPSHOT):
            given = self.__pydantic_fields_set__
            if "unreadable" not in given:
                # Without its record of failed reads, no field of the resource can be told read from defaulted.
                self.unreadable = dict.fromkeys(judging.judged, UNREADABLE_NOT_RECORDED)
            elif judging.holds_models or not judging.defaulted <= given:
                absent = dict(_absent_fields(self))  # the last absent path of a field is the one recorded
                for top, path in absent.items():
                    self.unreadable.setdefault(
                        top, ABSENT_FROM_SNAPSHOT if path == top else f"{path} {ABSENT_FROM_SNAPSHOT}")
            _share_given_names(self, judging.holds_models)
        if judging.bounded:  # most resources have a time or a retention to judge
            values = self.__dict__
            for name, low, high, plausible in judging.ranged:
                value = values[name]
                if value is None:
                    continue
                if low is not None:
                    try:  # the common case, a number or an aware time well within range, without a call
                        if low <= value <= high:
                            continue
                    except TypeError:
                        pass  # a list or a naive time: Plausible.violation decides
                if why := plausible.violation(value):
                    self.unreadable.setdefault(name, f"implausible value {why}")
            for name in judging.nested:
                for top, path, why in _implausible_inside(values[name], name, name):
                    self.unreadable.setdefault(top, f"implausible value {path} = {why}")
        return self


class Gap(Model):
    """A read that failed for a whole (account, service, region): the inventory there is unknown."""

    account: str
    service: str
    region: str = ""
    operation: str = ""
    code: str
    message: str = ""

    def covers(self, account: str, region: str) -> bool:
        """A global gap (region "") covers every region of its account."""
        return self.account == account and (not self.region or self.region == region)

    def describe(self) -> str:
        where = f"{self.service} in {self.region}" if self.region else self.service
        call = f" ({self.operation})" if self.operation else ""
        detail = f": {self.message}" if self.message else ""
        return f"{where} could not be read{call}: {self.code}{detail}"


def account_ref(account: str) -> ResourceRef:
    """Account-wide checks use the account itself as the resource."""
    return ResourceRef(type="account", id=account, region="", account=account)


# Fields that never decide a verdict on their own, so their absence from a snapshot needs no mark.
_UNJUDGED_FIELDS = frozenset({"unreadable", "origin"})


# Per model class: (name, has a default, the nested model it may hold or None) of each field, worked out once; a
# snapshot asks it of every resource it holds.
_FIELD_SHAPES: dict[type[BaseModel], tuple[tuple[str, bool, type[BaseModel] | None], ...]] = {}


def _field_shapes(model: type[BaseModel]) -> tuple[tuple[str, bool, type[BaseModel] | None], ...]:
    found = _FIELD_SHAPES.get(model)
    if found is None:
        found = _FIELD_SHAPES[model] = tuple((name, not info.is_required(), _nested_model(info.annotation))
                                             for name, info in model.model_fields.items())
    return found


def _absent_fields(model: BaseModel, top: str = "", prefix: str = "") -> Iterator[tuple[str, str]]:
    """(top-level field, dotted path) of each defaulted field not given to `model` or to a nested model in it."""
    given = model.model_fields_set
    for name, defaulted, nested in _field_shapes(type(model)):
        if name in _UNJUDGED_FIELDS and not top:
            continue
        owner = top or name
        if name not in given:
            if defaulted:
                yield owner, f"{prefix}{name}"
            continue
        if nested is None:
            continue
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _absent_fields(value, owner, f"{prefix}{name}.")
        elif isinstance(value, list):
            for n, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _absent_fields(item, owner, f"{prefix}{name}[{n}].")


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The (non-Resource) model a field holds, directly, optionally or as list items; None for plain values."""
    if isinstance(annotation, type):
        return annotation if issubclass(annotation, BaseModel) and not issubclass(annotation, Resource) else None
    origin = get_origin(annotation)
    if origin in (list, Union, UnionType):
        for arg in get_args(annotation):
            if (found := _nested_model(arg)) is not None:
                return found
    return None


# Per model class: its fields with declared bounds, and the fields that can hold nested models.
_BOUNDS: dict[type[BaseModel], tuple[tuple[tuple[str, Plausible], ...], tuple[str, ...]]] = {}


def _bounds_of(model: type[BaseModel]) -> tuple[tuple[tuple[str, Plausible], ...], tuple[str, ...]]:
    """The model's bounded fields, and its fields holding nested models that have bounds somewhere inside.

    Models with nothing bounded inside (security-group rules, say) are never walked: plans hold thousands.
    """
    made = _BOUNDS.get(model)
    if made is None:
        bounded = tuple((name, meta) for name, info in model.model_fields.items()
                        for meta in info.metadata if isinstance(meta, Plausible))
        nested = tuple(name for name, info in model.model_fields.items()
                       if (inner := _nested_model(info.annotation)) is not None and inner is not model
                       and any(_bounds_of(inner)))
        made = _BOUNDS[model] = (bounded, nested)
    return made


@dataclass(frozen=True, slots=True)
class _Judging:
    """What the validator asks of a resource class, worked out once: a snapshot asks it of every resource."""

    defaulted: frozenset[str]  # defaulted fields whose absence from a snapshot is marked
    holds_models: bool  # whether a judged field may hold a nested model, whose fields are looked at one by one
    judged: tuple[str, ...]  # the fields marked when the resource's record of failed reads is missing
    # Bounded fields in declaration order: (name, low, high, bounds); low and high are None when either end is
    # open, which Plausible.violation alone judges.
    ranged: tuple[tuple[str, Any, Any, Plausible], ...]
    nested: tuple[str, ...]  # fields holding nested models with bounds inside
    bounded: bool  # ranged or nested: some value of the resource is judged for plausibility


_JUDGING: dict[type[BaseModel], _Judging] = {}

# One shared set per distinct set of given field names, and the one a class's last resource was given.
_SHARED_NAMES: dict[frozenset[str], SharedFieldNames] = {}
_LAST_SHARED: dict[type[BaseModel], SharedFieldNames] = {}


def _share_given_names(model: BaseModel, holds_models: bool = True) -> None:
    """Give `model`, and the models inside it, the shared set of the field names each was given."""
    given = model.__pydantic_fields_set__
    shared = _LAST_SHARED.get(model.__class__)
    if shared is None or shared != given:
        key = frozenset(given)
        shared = _SHARED_NAMES.get(key)
        if shared is None:
            shared = _SHARED_NAMES[key] = SharedFieldNames(key)
        _LAST_SHARED[model.__class__] = shared
    _object_setattr(model, "__pydantic_fields_set__", shared)
    if holds_models:
        values = model.__dict__
        for name, _, nested in _field_shapes(model.__class__):
            if nested is not None:
                value = values[name]
                if isinstance(value, list):
                    for item in value:
                        if isinstance(item, BaseModel):
                            _share_given_names(item)
                elif isinstance(value, BaseModel):
                    _share_given_names(value)


def _judging(model: type[BaseModel]) -> _Judging:
    shapes = _field_shapes(model)
    ranged, nested = _bounds_of(model)
    made = _JUDGING[model] = _Judging(
        defaulted=frozenset(name for name, defaulted, _ in shapes if defaulted and name not in _UNJUDGED_FIELDS),
        holds_models=any(inner is not None for name, _, inner in shapes if name not in _UNJUDGED_FIELDS),
        judged=tuple(name for name, _, _ in shapes if name not in _UNJUDGED_FIELDS),
        ranged=tuple((name, _as_parsed(plausible.low), _as_parsed(plausible.high), plausible)
                     if plausible.low is not None and plausible.high is not None else (name, None, None, plausible)
                     for name, plausible in ranged),
        nested=nested,
        bounded=bool(ranged or nested))
    return made


# The tzinfo pydantic gives the UTC times it parses (one shared object), asked of pydantic itself. Two times sharing a
# tzinfo compare without asking it for their offsets, a tenth of the cost: a snapshot's times are compared with
# bounds held in it. Were it not shared, comparisons would only be slower.
_PARSED_UTC = SchemaValidator(core_schema.datetime_schema()).validate_python("2000-01-01T00:00:00Z").tzinfo


def _as_parsed(bound: Any) -> Any:
    """The same bound, an aware time expressed in the tzinfo of parsed UTC times (the same instant)."""
    if isinstance(bound, datetime) and bound.tzinfo is not None:
        return bound.astimezone(_PARSED_UTC)
    return bound


def _implausible(model: BaseModel, prefix: str, top: str = "") -> Iterator[tuple[str, str, str]]:
    """(top-level field, path, why) for each value out of its declared range, nested models included."""
    bounded, nested = _bounds_of(type(model))
    for name, plausible in bounded:
        value = getattr(model, name)
        if value is not None and (why := plausible.violation(value)):
            yield top or name, f"{prefix}{name}", why
    for name in nested:
        yield from _implausible_inside(getattr(model, name), f"{prefix}{name}", top or name)


def _implausible_inside(value: Any, path: str, top: str) -> Iterator[tuple[str, str, str]]:
    """(top-level field, path, why) for each value out of range in `value`, at `path`: a nested model or a list of
    them."""
    if isinstance(value, list):
        for n, item in enumerate(value):
            if isinstance(item, BaseModel):
                yield from _implausible(item, f"{path}[{n}].", top)
    elif isinstance(value, BaseModel):
        yield from _implausible(value, f"{path}.", top)
