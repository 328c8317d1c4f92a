"""Finding messages kept as a sentence template and its arguments (``Messages``).

A check makes a Chinese message for every finding — at 10,000 parcels some 200,000, nearly all of
them one of a few sentences per rule with a few figures in them. ``Messages`` holds a rule's
messages as the index of their template and their arguments, so the compact JSON report writes
each template once and per finding only the arguments (no cutting every sentence apart), and a
message becomes text only when someone reads it (the window, a report, a ``Finding``).
"""

from __future__ import annotations

from collections.abc import Iterator


def literal(text: str) -> str:
    """``text`` as fixed text of a template: braces doubled, so ``str.format`` keeps them."""
    return text.replace("{", "{{").replace("}", "}}")


def template(pattern: str, **fixed) -> str:
    """A template from ``pattern``: its named fields filled with ``fixed`` (kept as they are, braces
    and all), its ``{}`` fields left for each message's arguments. Without ``{}`` fields it is a
    plain sentence (see ``render``).

    ``template("与{title}重叠 {}", title="生态保护红线")`` → ``"与生态保护红线重叠 {}"``.
    """
    auto = pattern.count("{}")
    return pattern.format(*["{}"] * auto, **{name: literal(str(v)) if auto else v for name, v in fixed.items()})


def render(template_: str, args) -> str:
    """One message as text: the template filled with ``args``, or the template as it is when there
    are no arguments (a sentence without figures may then hold braces).
    """
    return template_.format(*args) if args else template_


class Messages:
    """A column of finding messages: row ``k`` is ``render(templates[which[k]], args[k])``.

    Templates are ``str.format`` patterns with ``{}`` fields (fixed text in them made with
    ``template``/``literal``); arguments are ``str``. Reading ``messages[k]`` gives the text.
    """

    __slots__ = ("templates", "which", "args", "_index")

    def __init__(self, n: int = 0, default: str | None = None):
        """``n`` rows of the sentence ``default`` (no arguments), or none."""
        self.templates: list[str] = []
        self._index: dict[str, int] = {}
        self.which: list[int] = [self._of(default)] * n if n else []
        self.args: list[tuple[str, ...]] = [()] * n

    def _of(self, template_: str) -> int:
        k = self._index.get(template_)
        if k is None:
            k = self._index[template_] = len(self.templates)
            self.templates.append(template_)
        return k

    def append(self, template_: str, *args: str) -> None:
        """Add a row: ``template_`` filled with ``args`` (a plain sentence without ``args``)."""
        k = self._index.get(template_)
        self.which.append(self._of(template_) if k is None else k)
        self.args.append(args)

    def put(self, k: int, template_: str, *args: str) -> None:
        """Set row ``k`` to ``template_`` filled with ``args``."""
        t = self._index.get(template_)
        self.which[k] = self._of(template_) if t is None else t
        self.args[k] = args

    def take(self, rows) -> Messages:
        """The rows ``rows`` (indices, in that order) as a new column with the same templates."""
        out = Messages()
        out.templates, out._index = list(self.templates), dict(self._index)
        which, args = self.which, self.args
        out.which, out.args = [which[k] for k in rows], [args[k] for k in rows]
        return out

    def __len__(self) -> int:
        return len(self.which)

    def __getitem__(self, k: int) -> str:
        return render(self.templates[self.which[k]], self.args[k])

    def __iter__(self) -> Iterator[str]:
        templates = self.templates
        return (render(templates[w], a) for w, a in zip(self.which, self.args))
