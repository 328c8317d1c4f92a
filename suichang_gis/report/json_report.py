"""The JSON contract of the check (``CheckResult.to_dict()``), written as UTF-8 with orjson.

Up to ``INDENT_UP_TO_PARCELS`` parcels the file is exactly ``CheckResult.to_dict()``, indented
for a person to read. Larger results use the compact form (``"format": "compact-2"``), which
holds the same information in a tenth of the bytes and is written parcel by parcel, chunk by
chunk, so a 100,000-parcel result is never held whole:

- ``rules``: per rule id, the fields every finding of that rule shares (title, rule set,
  basis, layer, indicative, example_threshold), given once; a finding that differs keeps them.
- ``finding_fields``: the names of a finding row; each finding is a list in that order, its
  trailing nulls left out. Its first field, ``kind``, is the index of its [rule, status] pair
  in ``kinds``.
- A message is a string, or a list ``[template, argument, …]``: ``template`` is the index of a
  sentence template in ``templates`` (``str.format`` with ``{}`` fields), each argument a string
  or the index of a shared text in ``texts`` (names, 准入清单 explanations repeat on many parcels).
  The message is the template filled with the arguments, or, without arguments, the template as
  it is. The engine keeps most messages as template and arguments (``check.messages``). A
  message given as text (a fixed sentence, or one read from a ``Finding``) is a template of its
  own when it holds no figures; otherwise it is cut after its punctuation into pieces (shared
  texts or strings) under a template of as many ``{}``.
- ``reasons`` of a parcel are indices into ``texts``.
- ``finding_extras`` of a parcel: {row index: {field: value}} for fields outside the row (e.g.
  the shared fields where they differ from the rule's). Its ``also`` (other rules judging the
  same fact, the same on most parcels) is an index into the list of such lists ``also``.

The earlier form ``"compact-1"`` differs in its messages — a string, or a list of strings and
``texts`` indices to join — and in ``also``, given in full; it has no ``templates`` nor ``also``
list and is still read.

:func:`expand` turns a compact document back into the plain contract, equal to
``CheckResult.to_dict()``; :func:`read_findings` yields (parcel id, finding dict) of any form.
"""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import repeat
from pathlib import Path

import numpy as np
import orjson

from ..check.messages import Messages, render
from ..check.model import REASON_STATUSES, STATUS_LABELS, CheckResult, FindingStore, ParcelResult, _round

# Results a person reads are indented and plain; large ones are compact.
INDENT_UP_TO_PARCELS = 50
FORMAT = "compact-2"
FORMAT_1 = "compact-1"  # the form before templates: still read
_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
SHARED_FIELDS = ("title", "ruleset", "basis", "layer", "threshold", "indicative", "example_threshold")
# A row ends at its last non-null field: the fields most findings leave empty come last.
ROW_FIELDS = ("kind", "message", "overlap_m2", "overlap_mu", "overlap_ratio", "unit_code",
              "distance_m", "value")
# Pieces of a message given as text end after these. A piece without digits is shared text, kept
# once in ``texts``; one with digits is shared from its second occurrence on (remembered up to
# _SEEN_MAX pieces). Each match is (piece without digits, "") or ("", piece with digits).
_SPLIT = re.compile(r"([^；。：，0-9]*[；。：，]|[^；。：，0-9]+\Z)|([^；。：，]*[；。：，]|[^；。：，]+)")
_DIGIT = re.compile(r"[0-9]")
_SEEN_MAX = 200_000
# Template arguments from this length on are shared through ``texts`` where they repeat (_shared).
_SHARED_ARGUMENT_LENGTH = 8
_KNOWN = frozenset(ROW_FIELDS[1:]) | frozenset(SHARED_FIELDS) | {"rule", "status"}
_KNOWN_COUNT = len(_KNOWN)
_REASON_ORDER = {s: k for k, s in enumerate(REASON_STATUSES)}


def _dumps(value, indent: bool = False) -> bytes:
    return orjson.dumps(value, default=str, option=_OPTIONS | (orjson.OPT_INDENT_2 if indent else 0))


class CompactWriter:
    """Writes the compact form: ``add(parcels)`` as often as needed, then ``close(result)``.

    ``result`` in ``close`` gives the header (rule sets, layers used, notes); its ``parcels``
    are ignored — the summary counts the parcels added.
    """

    def __init__(self, out: Path):
        self.out = Path(out)
        self.tmp = self.out.with_suffix(self.out.suffix + ".tmp")
        self.file = self.tmp.open("wb")
        self.file.write(b'{"format":"' + FORMAT.encode() + b'","parcels":[\n')
        self.rules: dict[str, dict] = {}
        self.texts: dict[str, int] = {}
        self.templates: dict[str, int] = {}
        self.also: dict[bytes, int] = {}  # JSON of an "also" list → index
        self.seen: set[str] = set()
        self.messages: dict[str, object] = {}  # messages without figures seen before → their form
        self.kinds: dict[tuple[str, str], int] = {}  # (rule, status) → index
        self.counts = {"pass": 0, "warn": 0, "fail": 0}
        self.indicative: ParcelResult | None = None  # the first parcel that used a 示意 layer
        self.first = True

    def _message(self, message: str):
        """The compact form of a message given as text: a sentence without figures is a template of
        its own (未评估, pass sentences repeat whole); one with figures is cut into pieces, shared
        texts or strings, under a template of as many ``{}`` (a single unshared piece: a string).
        """
        whole = self.messages.get(message)
        if whole is not None:
            return whole
        if _DIGIT.search(message) is None:
            whole = [self._template(message)]
            if len(self.messages) < _SEEN_MAX:
                self.messages[message] = whole
            return whole
        parts: list = []
        texts, seen = self.texts, self.seen
        for plain, numbered in _SPLIT.findall(message):
            if plain:
                shared = texts.get(plain)
                if shared is None and len(plain) >= 6:
                    shared = texts[plain] = len(texts)
                piece = plain
            else:
                piece = numbered
                shared = texts.get(piece)
                if shared is None and len(piece) >= 6:
                    if piece in seen:
                        shared = texts[piece] = len(texts)
                    elif len(seen) < _SEEN_MAX:
                        seen.add(piece)
            if shared is not None:
                parts.append(shared)
            elif parts and parts[-1].__class__ is str:
                parts[-1] += piece
            else:
                parts.append(piece)
        if len(parts) == 1 and parts[0].__class__ is str:
            return parts[0]
        return [self._template("{}" * len(parts)), *parts]

    def _templated(self, column: Messages, live: np.ndarray) -> list:
        """The compact messages of rows ``live`` of a ``Messages`` column: [template, argument, …]
        each, an argument as a string or, where it repeats (``_shared``), a ``texts`` index.
        """
        index = [self._template(t) for t in column.templates]
        which = np.asarray(column.which, dtype=np.intp)[live]
        args, out = column.args, [None] * len(live)
        order = np.argsort(which, kind="stable")
        starts = np.flatnonzero(np.diff(which[order])) + 1
        whole = len(live) == len(args)
        for group in np.split(order, starts):
            rows = live[group].tolist()
            fields = list(zip(*(args if whole and not len(starts) else [args[k] for k in rows]), strict=True))
            for j, values in enumerate(fields):
                shared = self._shared(values)
                if shared:
                    fields[j] = [shared.get(v, v) for v in values]
            t = index[which[group[0]]]
            # tuples, written as JSON arrays; a sentence without arguments is one shared tuple
            messages = zip(repeat(t, len(rows)), *fields) if fields else repeat((t,), len(rows))
            if not len(starts):  # one template: the rows in their order
                return list(messages)
            for n, message in zip(group.tolist(), messages):
                out[n] = message
        return out

    def _shared(self, values: tuple[str, ...]) -> dict[str, int]:
        """Of the values of one argument position (a rule's rows of one template), those written as
        ``texts`` indices: where at most half of the values are distinct (names, 准入清单 texts
        repeat; figures do not), each from ``_SHARED_ARGUMENT_LENGTH`` characters on.
        """
        distinct = set(values)
        if 2 * len(distinct) > len(values):
            return {}
        text = self._text
        return {v: text(v) for v in distinct if len(v) >= _SHARED_ARGUMENT_LENGTH}

    def _also(self, also: list[dict]) -> int:
        """The index in ``also`` of a finding's list of other rules judging the same fact."""
        key = _dumps(also)
        index = self.also.get(key)
        if index is None:
            index = self.also[key] = len(self.also)
        return index

    def _template(self, template: str) -> int:
        index = self.templates.get(template)
        if index is None:
            index = self.templates[template] = len(self.templates)
        return index

    def _text(self, text: str) -> int:
        index = self.texts.get(text)
        if index is None:
            index = self.texts[text] = len(self.texts)
        return index

    def _parcel(self, parcel: ParcelResult) -> dict:
        d = parcel.to_dict()
        rows, extras, rules, message, kinds = [], {}, self.rules, self._message, self.kinds
        for k, f in enumerate(d.pop("findings")):
            shared = rules.get(f["rule"])
            if shared is None:
                shared = rules[f["rule"]] = {key: f[key] for key in SHARED_FIELDS}
            kind = kinds.get((f["rule"], f["status"]))
            if kind is None:
                kind = kinds[f["rule"], f["status"]] = len(kinds)
            row = [kind, message(f["message"]), f["overlap_m2"], f["overlap_mu"],
                   f["overlap_ratio"], f["unit_code"], f["distance_m"], f["value"]]
            while row[-1] is None:
                row.pop()
            rows.append(row)
            extra = None
            for key in SHARED_FIELDS:
                v, w = f[key], shared[key]
                if v is not w and v != w:
                    extra = extra or {}
                    extra[key] = v
            if len(f) > _KNOWN_COUNT:  # fields beyond the row and the shared ones
                extra = extra or {}
                extra.update((key, v) for key, v in f.items() if key not in _KNOWN)
                if "also" in extra:
                    extra["also"] = self._also(extra["also"])
            if extra:
                extras[str(k)] = extra
        d["findings"] = rows
        if extras:
            d["finding_extras"] = extras
        if d.get("reasons"):  # "SX-01 生态保护红线：不符合" repeats on most parcels
            d["reasons"] = [self._text(r) for r in d["reasons"]]
        self.counts[d["status"]] += 1
        if d["indicative"] and self.indicative is None:
            self.indicative = parcel
        return d

    def _store_rows(self, store: FindingStore) -> tuple[list, dict, np.ndarray, np.ndarray, np.ndarray]:
        """Every finding row of a run's store, read from its columns, in block order: (rows,
        extras, reason ranks, reason texts, parcel) — the compact row, {row: its extra fields} of
        the rows that have any, the rank of its status among ``REASON_STATUSES`` (-1 when it gives
        no reason) and the ``texts`` index of the reason it gives.
        """
        rows, extras, ranks, reasons, owner = [], {}, [], [], []
        also_index: dict[tuple, int] = {}  # ids of the store's AlsoJudged entries → index in ``also``
        also_of: dict[int, list] = {}
        for (b, k), also in sorted(store.also.items()):
            also_of.setdefault(b, []).append((k, also))
        for b, block in enumerate(store.blocks):
            alive = store.alive[b]
            live_rows = np.flatnonzero(alive)
            if not len(live_rows):
                continue
            owner.append(block.parcel[live_rows])
            every = len(live_rows) == len(block)  # most blocks: no row dropped, columns as they are
            live = live_rows.tolist()

            def pick(column, live=live, every=every):
                return column if every else [column[k] for k in live]

            basis = block.basis.as_dict if block.basis else None
            fixed = {"title": block.title, "ruleset": block.ruleset, "basis": basis,
                     "example_threshold": block.example_threshold}
            indicative = np.asarray(block.indicative, dtype=bool)[live_rows]
            columns = {"layer": block.layer, "threshold": block.threshold, "indicative": block.indicative}
            shared = self.rules.get(block.rule)
            if shared is None:
                shared = self.rules[block.rule] = {
                    key: fixed[key] if key in fixed else columns[key][live[0]] for key in SHARED_FIELDS}
                shared["indicative"] = bool(shared["indicative"])
            # Fields that differ from the rule's shared ones go to the row's extras.
            differ = {key: v for key, v in fixed.items() if v is not shared[key] and v != shared[key]}
            odd = [key for key in ("layer", "threshold") if set(pick(columns[key])) - {shared[key]}]
            if (indicative != shared["indicative"]).any():
                odd.append("indicative")
                columns["indicative"] = [bool(v) for v in block.indicative]
            status = pick(block.status)
            kind = {}
            for s in set(status):
                kind[s] = self.kinds.get((block.rule, s))
                if kind[s] is None:
                    kind[s] = self.kinds[block.rule, s] = len(self.kinds)
            # the reason a row gives, by its kind: rank among REASON_STATUSES (-1: none), text
            rank, reason = np.full(len(self.kinds), -1, dtype=np.intp), np.zeros(len(self.kinds), dtype=np.intp)
            for s, k in kind.items():
                if s in _REASON_ORDER:
                    rank[k] = _REASON_ORDER[s]
                    reason[k] = self._text(f"{block.rule} {block.title}：{STATUS_LABELS[s]}")
            kinds = [kind[s] for s in status]
            if isinstance(block.message, Messages):
                messages = self._templated(block.message, live_rows)
            else:
                message = self._message
                messages = [message(m) for m in pick(block.message)]
            figures = block.json_figures()
            present = figures.pop("present")
            if not every:
                present = present[:, live_rows]
            table = [kinds, messages,
                     *(pick(figures[name]) for name in ("overlap_m2", "overlap_mu", "overlap_ratio")),
                     pick(block.unit_code), *(pick(figures[name]) for name in ("distance_m", "value"))]
            # A row ends at its last field that is not None.
            present[3] = [v is not None for v in table[5]]  # unit_code
            ends = (2 + len(present) - np.argmax(present[::-1], axis=0)) * present.any(axis=0)
            ends = np.maximum(ends, 2)
            first = len(rows)
            if (ends == ends[0]).all():  # most blocks: every row ends at the same field
                rows.extend(zip(*table[:ends[0]]))  # orjson writes tuples as arrays
            else:
                rows.extend([row[:end] for row, end in zip(zip(*table), ends.tolist())])
            if differ:
                extras.update(dict.fromkeys(range(first, first + len(live)), differ))
            for n, k in enumerate(live) if odd else ():
                extra = {**differ, **{key: v for key in odd
                                      if (v := columns[key][k]) is not shared[key] and v != shared[key]}}
                if extra:
                    extras[first + n] = extra
            kinds = np.asarray(kinds, dtype=np.intp)
            ranks.append(rank[kinds])
            reasons.append(reason[kinds])
            merged = also_of.get(b, [])  # rows another rule's verdict was merged into
            at = np.searchsorted(live_rows, [k for k, _ in merged]).tolist()
            for (k, also), n in zip(merged, at):
                key = tuple(map(id, also))
                if key not in also_index:
                    also_index[key] = self._also([a.to_dict() for a in also])
                extras[first + n] = {**extras.get(first + n, {}), "also": also_index[key]}
                if ranks[-1][n] >= 0:
                    rules = "/".join([block.rule, *(a.rule for a in also)])
                    reasons[-1][n] = self._text(f"{rules} {block.title}：{STATUS_LABELS[block.status[k]]}")
        if not owner:
            return rows, extras, np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
        return rows, extras, np.concatenate(ranks), np.concatenate(reasons), np.concatenate(owner)

    def _add_from_store(self, parcels: list[ParcelResult]) -> None:
        """Write parcels whose findings are still their run's columns (one store) without making
        ``Finding`` objects: the same JSON as ``ParcelResult.to_dict`` gives, compacted.
        """
        store = parcels[0].store
        rows, extras, ranks, reasons, owner = self._store_rows(store)
        order = np.argsort(owner, kind="stable")  # by parcel; within it, block (rule) order
        owner = owner[order]
        parcel_range = np.arange(store.n + 1)
        bounds = np.searchsorted(owner, parcel_range).tolist()
        rows = [rows[j] for j in order.tolist()]
        # The rows with extras, at their places in parcel order.
        at = np.empty(len(order), dtype=np.intp)
        at[order] = np.arange(len(order))
        at = at[np.fromiter(extras, dtype=np.intp, count=len(extras))]
        by_place = np.argsort(at)
        values = list(extras.values())
        extras = list(zip(at[by_place].tolist(), [values[j] for j in by_place.tolist()]))
        extra_bounds = np.searchsorted(at[by_place], bounds).tolist()
        # Reasons: per parcel strictest first, in rule order within a status.
        ranks = ranks[order]
        giving = np.flatnonzero(ranks >= 0)
        giving = giving[np.lexsort((giving, ranks[giving], owner[giving]))]
        reasons = reasons[order][giving].tolist()
        reason_bounds = np.searchsorted(owner[giving], parcel_range).tolist()
        worst, flagged = store.worst().tolist(), store.indicative().tolist()
        write, statuses, counts = self.file.write, ("pass", "warn", "fail"), self.counts
        for parcel in parcels:
            i = parcel.index
            start = bounds[i]
            status = statuses[worst[i]]
            d = {"id": parcel.id, "name": parcel.name, "area_m2": _round(parcel.area_m2),
                 "area_mu": _round(parcel.area_mu, 1e4), "townships": parcel.townships, "zones": parcel.zones,
                 "status": status, "indicative": flagged[i], "reasons": reasons[reason_bounds[i]:reason_bounds[i + 1]],
                 "projects_nearby": [{**p, "distance_m": _round(p["distance_m"])} for p in parcel.projects],
                 "repairs": parcel.repairs, "findings": rows[start:bounds[i + 1]]}
            if extra_bounds[i] < extra_bounds[i + 1]:
                d["finding_extras"] = {str(n - start): extra for n, extra in extras[extra_bounds[i]:extra_bounds[i + 1]]}
            counts[status] += 1
            if flagged[i] and self.indicative is None:
                self.indicative = parcel
            write((b"" if self.first else b",") + _dumps(d) + b"\n")
            self.first = False

    def add(self, parcels: list[ParcelResult]) -> None:
        """Write ``parcels`` (their JSON) to the temporary file as they come."""
        k = 0
        while k < len(parcels):
            store, j = parcels[k].store, k + 1
            if parcels[k].in_store:  # the run's parcels with untouched findings: from the columns
                while j < len(parcels) and parcels[j].in_store and parcels[j].store is store:
                    j += 1
                self._add_from_store(parcels[k:j])
            else:
                self.file.write((b"" if self.first else b",") + _dumps(self._parcel(parcels[k])) + b"\n")
                self.first = False
            k = j

    def close(self, result: CheckResult) -> None:
        """Write the header of ``result`` after the parcels and move the file into place."""
        # Header and notices of the result as if it held the parcels added (one decides 示意).
        sample = [self.indicative] if self.indicative is not None else []
        head = replace(result, parcels=sample).to_dict(include_parcels=False)
        head.update(summary=self.counts, rules=self.rules, finding_fields=list(ROW_FIELDS),
                    kinds=[list(k) for k in self.kinds],
                    templates=list(self.templates), texts=list(self.texts),
                    also=[orjson.loads(a) for a in self.also])
        self.file.write(b"]," + _dumps(head)[1:] + b"\n")
        self.file.close()
        self.tmp.replace(self.out)  # never leave a half-written report behind

    def abort(self) -> None:
        """Close and delete the temporary file: no half-written report is left."""
        self.file.close()
        self.tmp.unlink(missing_ok=True)


def write_json(result: CheckResult, out: Path) -> None:
    """Write the JSON contract: plain up to ``INDENT_UP_TO_PARCELS`` parcels, else compact."""
    out = Path(out)
    if len(result.parcels) <= INDENT_UP_TO_PARCELS:
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_bytes(_dumps(result.to_dict(), indent=True) + b"\n")
        tmp.replace(out)
        return
    writer = CompactWriter(out)
    try:
        writer.add(result.parcels)
        writer.close(result)
    except BaseException:
        writer.abort()
        raise


def _message_text(message, doc: dict) -> str:
    """The text of a compact message (either form)."""
    if message.__class__ is str:
        return message
    texts = doc["texts"]
    if doc["format"] == FORMAT_1:
        return "".join(texts[p] if isinstance(p, int) else p for p in message)
    template, *args = message
    return render(doc["templates"][template], [texts[a] if isinstance(a, int) else a for a in args])


def _expand_finding(row: list, extra: dict | None, doc: dict) -> dict:
    fields = doc["finding_fields"]
    f = dict.fromkeys(fields) | dict(zip(fields, row))
    rule, status = doc["kinds"][f.pop("kind")]
    f["message"] = _message_text(f["message"], doc)
    out = {"rule": rule, **doc["rules"][rule], "status": status, **f}
    if extra:
        out.update(extra)
        if isinstance(out.get("also"), int):  # compact-2: the list given once in ``also``
            out["also"] = doc["also"][out["also"]]
    return out


def expand(doc: dict) -> dict:
    """The plain contract (``CheckResult.to_dict()``) of a compact document; plain ones as they are."""
    if doc.get("format") not in (FORMAT, FORMAT_1):
        return doc
    texts = doc["texts"]
    parcels = []
    for p in doc["parcels"]:
        extras = p.get("finding_extras", {})
        findings = [_expand_finding(row, extras.get(str(k)), doc) for k, row in enumerate(p["findings"])]
        parcel = {key: v for key, v in p.items() if key != "finding_extras"} | {"findings": findings}
        if parcel.get("reasons"):
            parcel["reasons"] = [texts[r] for r in parcel["reasons"]]
        parcels.append(parcel)
    head = {k: v for k, v in doc.items()
            if k not in ("format", "rules", "finding_fields", "kinds", "templates", "texts", "also", "parcels")}
    return {**head, "parcels": parcels}


def read_findings(path: Path):
    """(parcel id, finding dict) for every finding of a JSON report written by ``write_json``
    (plain, ``compact-2`` or the earlier ``compact-1``).
    """
    doc = orjson.loads(Path(path).read_bytes())
    if doc.get("format") in (FORMAT, FORMAT_1):
        for parcel in doc["parcels"]:
            extras = parcel.get("finding_extras", {})
            for k, row in enumerate(parcel["findings"]):
                yield parcel["id"], _expand_finding(row, extras.get(str(k)), doc)
        return
    for parcel in doc["parcels"]:
        for finding in parcel["findings"]:
            yield parcel["id"], finding
