"""Answers built from the official Genesys Cloud Python SDK's own model classes.

Each model's `swagger_types` and `attribute_map` say which fields it has, their JSON names and
types; the setters say which values an enum field allows. From them a `Maker` builds records:
every optional field present, or one field at a time absent, `null`, empty or an enum value the
SDK does not know, or a seeded random mix of all of these, with unknown extra fields. Every
answer is read back with the SDK's own deserializer (`sdk_reads`) before it is served, so only
answers the SDK itself accepts count.
"""

import ast
import datetime
import functools
import inspect
import re

import PureCloudPlatformClientV2 as gc

# Fields the SDK's documentation marks required (build/docs/<Model>.md of the official Python
# SDK, read at 257.1.0: every other field is "[optional]"), for the models scopewatch reads and
# the models inside them. They are always present; every other field varies.
REQUIRED = {
    "AuditQueryFilter": {"pcProperty", "value"},
    "AuditQuerySort": {"name", "sort_order"},
    "AuthzDivision": {"description"},
    "Group": {"name", "type", "rules_visible", "visibility"},
    "GroupContact": {"address", "type", "media_type"},
    "InboundRoute": {"pattern", "from_name"},
    "OAuthClient": {"name", "authorized_grant_type"},
    "Organization": {"version"},
    "OrganizationPublicApiUsageResultsResponse": {"query_status"},
    "OrganizationUsageQueryResponse": {"id"},
    "RoleDivision": {"role_id", "division_id"},
    "Team": {"name"},
    "User": {"version"},
}

# Nested models deeper than this are left out unless required (User alone reaches 100 models
# and would make each answer megabytes).
MAX_DEPTH = 2

PRIMITIVES = {"str", "int", "float", "bool", "date", "datetime", "object"}

# Text the SDK reads as a string: plain, accented, other scripts, control characters, empty.
WORDS = ["alpha", "Zoë Ünïcode", "名前", "tab\there", "line\nbreak", "", "x" * 300, "<b>bold</b>"]


class Field:
    def __init__(self, attr, key, kind, allowed, required):
        self.attr, self.key, self.kind, self.allowed, self.required = attr, key, kind, allowed, required

    def element(self):
        """The type of a list's or a map's values, or the field's own type."""
        m = re.match(r"list\[(.*)\]$", self.kind) or re.match(r"dict\(str, (.*)\)$", self.kind)
        return m.group(1) if m else self.kind

    def is_model(self):
        return self.element() not in PRIMITIVES


def enum_values(cls, attr):
    """The values the SDK's setter accepts without its unknown-enum marker, or None."""
    setter = getattr(cls, attr).fset
    m = re.search(r"allowed_values = (\[.*?\])", inspect.getsource(setter))
    return ast.literal_eval(m.group(1)) if m else None


@functools.lru_cache(maxsize=None)
def fields(model):
    cls = getattr(gc, model)
    instance = cls()
    required = REQUIRED.get(model, set())
    return [Field(attr, instance.attribute_map[attr], kind, enum_values(cls, attr), attr in required)
            for attr, kind in instance.swagger_types.items()]


@functools.lru_cache(maxsize=1)
def sdk_client():
    return gc.api_client.ApiClient()


def sdk_reads(body, model):
    """The SDK's own reading of `body` as `model` (raises when the SDK cannot read it)."""
    return sdk_client()._ApiClient__deserialize(body, model)


def outdated(value):
    """Whether the SDK read an unknown enum value (it keeps them as this marker)."""
    if isinstance(value, dict):
        return any(outdated(v) for v in value.values())
    if isinstance(value, list):
        return any(outdated(v) for v in value)
    return value == "outdated_sdk_version"


def one_offs(model, levels=2, depth=0, prefix=()):
    """Plans that change one optional field each: absent, null, empty, an unknown enum value;
    nested models' fields too (`levels` deep), and an unknown extra field."""
    plans = [{prefix + ("__extra__",): "present"}]
    for f in fields(model):
        path = prefix + (f.key,)
        if not f.required:
            plans.append({path: "absent"})
            if f.allowed is None:
                # The SDK's enum setters cannot take null: an enum is absent or a value.
                plans.append({path: "null"})
        if f.kind.startswith(("list[", "dict(")):
            plans.append({path: "empty"})
        if f.allowed is not None:
            plans.append({path: "unknown"})
        if f.is_model() and depth < levels:
            plans += one_offs(f.element(), levels, depth + 1, path)
    return plans


class Maker:
    """Builds records of SDK models from a seeded random source.

    `plan` maps a path of JSON keys to what that field is: "absent", "null", "empty",
    "unknown" (an enum value the SDK does not know) or "present". Fields outside the plan are
    present (`mode="full"`) or drawn at random (`mode="random"`); paths in `keep` are present.
    """

    def __init__(self, rng, now):
        self.rng = rng
        self.now = now

    def record(self, model, plan=None, mode="full", keep=()):
        return self._model(model, 0, (), plan or {}, mode, set(keep))

    def _state(self, f, path, plan, mode, keep, depth):
        if path in plan:
            return plan[path]
        if f.required:
            return "present"
        if f.is_model() and depth >= MAX_DEPTH:
            return "absent"
        if mode == "full" or path in keep:
            return "present"
        roll = self.rng.random()
        if roll < 0.3:
            return "absent"
        if roll < 0.4 and f.allowed is None:
            return "null"
        if roll < 0.45 and f.allowed is not None:
            return "unknown"
        if roll < 0.5 and f.kind.startswith(("list[", "dict(")):
            return "empty"
        return "present"

    def _model(self, model, depth, path, plan, mode, keep):
        out = {}
        for f in fields(model):
            here = path + (f.key,)
            state = self._state(f, here, plan, mode, keep, depth)
            if state == "absent":
                continue
            if state == "null":
                out[f.key] = None
            elif state == "empty":
                out[f.key] = [] if f.kind.startswith("list[") else {}
            elif state == "unknown":
                value = f"FutureValue{self.rng.randint(1, 99)}"
                out[f.key] = [value] if f.kind.startswith("list[") else value
            else:
                out[f.key] = self._value(f, depth, here, plan, mode, keep)
        extra = path + ("__extra__",)
        if plan.get(extra) == "present" or (mode == "random" and extra not in plan and self.rng.random() < 0.2):
            out[f"futureField{self.rng.randint(1, 9)}"] = {"addedIn": "a later API version", "n": [1, 2]}
        return out

    def _value(self, f, depth, path, plan, mode, keep):
        if f.kind.startswith("list["):
            count = 1 if mode == "full" else self.rng.randint(1, 3)
            return [self._one(f, f.element(), depth, path, plan, mode, keep) for _ in range(count)]
        if f.kind.startswith("dict("):
            return {self.rng.choice(["a", "b", "c"]) + str(i): self._one(f, f.element(), depth, path, plan, mode, keep)
                    for i in range(self.rng.randint(1, 2))}
        return self._one(f, f.kind, depth, path, plan, mode, keep)

    def _one(self, f, kind, depth, path, plan, mode, keep):
        if kind not in PRIMITIVES:
            return self._model(kind, depth + 1, path, plan, mode, keep)
        if f.allowed is not None:
            return self.rng.choice(f.allowed)
        return self.primitive(kind, f.key)

    def primitive(self, kind, key):
        rng = self.rng
        if kind == "str":
            if key == "id" or key.endswith("Id"):
                return self.uuid()
            if key.endswith("Uri"):
                return f"/api/v2/things/{self.uuid()}"
            return rng.choice(WORDS)
        if kind == "int":
            return rng.choice([0, 1, rng.randint(2, 5000), 2**31 - 1])
        if kind == "float":
            return round(rng.random() * 100, 3)
        if kind == "bool":
            return rng.random() < 0.5
        if kind == "date":
            return (self.now - datetime.timedelta(days=rng.randint(0, 60))).strftime("%Y-%m-%d")
        if kind == "datetime":
            return self.timestamp(self.now - datetime.timedelta(seconds=rng.randint(0, 60 * 86400)))
        return {"free": "form", "n": rng.randint(0, 9)}

    def timestamp(self, when):
        """A datetime in one of the forms the API writes (`yyyy-MM-ddTHH:mm:ss[.mmm]Z`)."""
        if self.rng.random() < 0.5:
            return when.strftime("%Y-%m-%dT%H:%M:%SZ")
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"

    def uuid(self):
        return "%08x-%04x-4%03x-8%03x-%012x" % (
            self.rng.getrandbits(32), self.rng.getrandbits(16), self.rng.getrandbits(12),
            self.rng.getrandbits(12), self.rng.getrandbits(48))
