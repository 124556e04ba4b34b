"""One language at a time: after a switch, no text of the other language stays on a page.

The yardstick is the pages' own locale tables (api/pages/static/locales/*.js), read from disk:
a visible text, or a title, aria-label, placeholder, alt or button value, must not be a
message of the other table that this table does not also have (a whole message, its
placeholders filling in anything, or a distinctive piece of one). On an English page no CJK
character may remain either, except in user data the test names (case numbers, parties,
titles) and in the English table's own text (the switch reads 中文). Every sweep saves a
screenshot per language and viewport in tests/browser/screenshots/ (git-ignored), named
<page>-<lang>-<viewport>.png, for a person to look at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

LOCALES = Path(__file__).resolve().parents[2] / "api" / "pages" / "static" / "locales"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
LANGS = ("zh-CN", "en")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"\{\w+\}")
WORDS = re.compile(r"[A-Za-z\u3400-\u9fff]{2}")  # a template whose literal text says something
LONG_LATIN = 10  # a piece of an English message this long is distinctive inside other text
SETTLE_MS = 300  # lets a page's re-render after the switch (and any poll it starts) land

# Every visible text node and text-bearing attribute of the page, with where it was found.
# Options count as visible when their select is (they show when it opens).
COLLECT_TEXT = """() => {
  const visible = (el) => (el.closest("select") ?? el)
    .checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  const where = (el) => {
    const name = el.tagName.toLowerCase();
    if (el.id) return `${name}#${el.id}`;
    const cls = typeof el.className === "string" ? el.className.trim().split(/\\s+/)[0] : "";
    const parent = el.parentElement?.closest("[id]");
    return `${parent ? `#${parent.id} ` : ""}${name}${cls ? `.${cls}` : ""}`;
  };
  const found = [{ where: "document.title", text: document.title }];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    const el = node.parentElement;
    if (!text || !el || el.closest("script, style, template") || !visible(el)) continue;
    found.push({ where: where(el), text });
  }
  for (const el of document.body.querySelectorAll("*")) {
    if (!visible(el)) continue;
    for (const attribute of ["title", "aria-label", "placeholder", "alt"]) {
      const value = el.getAttribute(attribute)?.trim();
      if (value) found.push({ where: `${where(el)}[${attribute}]`, text: value });
    }
    if (el.matches("input[type=button], input[type=submit], input[type=reset]") && el.value) {
      found.push({ where: `${where(el)}[value]`, text: el.value });
    }
  }
  return found;
}"""


def _without_comments(source: str) -> Iterator[str]:
    """The characters of JS source outside // and /* */ comments (strings kept whole)."""
    i, quote = 0, ""
    while i < len(source):
        char = source[i]
        if quote:
            if char == "\\":
                yield source[i : i + 2]
                i += 2
                continue
            if char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif source.startswith("//", i):
            i = source.find("\n", i) if "\n" in source[i:] else len(source)
            continue
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                raise ValueError(f"unterminated comment at offset {i}")
            i = end + 2
            continue
        yield char
        i += 1


def parse_locale_source(source: str) -> dict[str, str]:
    """The table of a locale module (`export default { "key": "text", ... };`).

    Comments and trailing commas are allowed, as in JS; keys and texts must be double-quoted
    JSON strings, so the page and this parser can never read the same file differently.
    """
    code = "".join(_without_comments(source)).strip()
    start = code.find("export default")
    if start < 0:
        raise ValueError("no `export default` in the locale module")
    body = code[start + len("export default") :].strip().removesuffix(";").strip()
    body = re.sub(r",(\s*)\}$", r"\1}", body)  # the object's trailing comma, JS style

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise ValueError(f"keys defined twice: {', '.join(twice)}")
        return dict(pairs)

    table = json.loads(body, object_pairs_hook=unique)
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ValueError("a locale table maps keys to strings")
    return table


def cjk_strings(data: Any) -> set[str]:
    """Every string holding CJK text in an API answer: user data a test allows on any page."""
    if isinstance(data, str):
        return {data} if CJK.search(data) else set()
    items = data.values() if isinstance(data, dict) else data if isinstance(data, list) else ()
    return set().union(*map(cjk_strings, items))


@dataclass(frozen=True)
class Finding:
    lang: str
    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.lang} {self.where}: {self.text!r}"


@dataclass(frozen=True)
class LocaleTables:
    tables: dict[str, dict[str, str]]

    @classmethod
    def load(cls, directory: Path = LOCALES) -> LocaleTables:
        return cls(
            {lang: parse_locale_source((directory / f"{lang}.js").read_text()) for lang in LANGS}
        )

    def other(self, lang: str) -> str:
        return LANGS[1 - LANGS.index(lang)]

    def foreign_messages(self, lang: str) -> list[str]:
        """The other table's texts that this table does not have."""
        own = set(self.tables[lang].values())
        return sorted({text for text in self.tables[self.other(lang)].values()} - own)

    def foreign_patterns(self, lang: str) -> list[re.Pattern[str]]:
        """Whole foreign messages, each placeholder filled by anything."""
        patterns = []
        for text in self.foreign_messages(lang):
            literal = PLACEHOLDER.sub("", text)
            if WORDS.search(literal):
                pieces = (re.escape(piece.strip()) for piece in PLACEHOLDER.split(text))
                patterns.append(re.compile(r"\s*(?:.+?)\s*".join(pieces), re.DOTALL))
        return patterns

    def foreign_pieces(self, lang: str) -> list[str]:
        """Pieces of foreign messages distinctive enough to spot inside any text: CJK ones of
        two characters or more, Latin ones of LONG_LATIN; never a piece of this table's text."""
        own = list(self.tables[lang].values())
        pieces = set()
        for text in self.foreign_messages(lang):
            for piece in (part.strip() for part in PLACEHOLDER.split(text)):
                long_enough = len(piece) >= (2 if CJK.search(piece) else LONG_LATIN)
                if long_enough and not any(piece in mine for mine in own):
                    pieces.add(piece)
        return sorted(pieces)

    def allowed_cjk(self, lang: str) -> list[str]:
        """CJK text that the table of `lang` itself contains (pieces between placeholders)."""
        pieces = (
            part.strip() for text in self.tables[lang].values() for part in PLACEHOLDER.split(text)
        )
        return sorted({piece for piece in pieces if CJK.search(piece)}, key=len, reverse=True)

    def findings(
        self, lang: str, texts: Iterable[dict[str, str]], allowed: Iterable[str] = ()
    ) -> list[Finding]:
        """Texts (as COLLECT_TEXT returns them) that belong to the other language."""
        user = sorted(set(allowed), key=len, reverse=True)
        patterns = self.foreign_patterns(lang)
        pieces = self.foreign_pieces(lang)
        found = []
        for item in texts:
            text = item["text"]
            rest = text
            for known in user:
                rest = rest.replace(known, " ")
            if not rest.strip():
                continue  # user data alone, e.g. a speaker typed as 审判长 that a table also has
            wrong = any(pattern.fullmatch(text) for pattern in patterns)
            wrong = wrong or any(piece in rest for piece in pieces)
            if lang == "en":
                for own in self.allowed_cjk("en"):
                    rest = rest.replace(own, " ")
                wrong = wrong or bool(CJK.search(rest))
            if wrong:
                found.append(Finding(lang, item["where"], text))
        return found


def page_lang(page: Page) -> str:
    return str(page.evaluate("() => document.documentElement.lang"))


def switch_language(page: Page, lang: str) -> None:
    """Press the page's language switch until the page speaks `lang`."""
    if page_lang(page) != lang:
        page.locator("[data-lang-switch]").first.click()
        page.wait_for_function(f"() => document.documentElement.lang === {json.dumps(lang)}")
    page.wait_for_timeout(SETTLE_MS)


def screenshot(page: Page, name: str, lang: str, viewport: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{lang}-{viewport}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def language_findings(
    page: Page, tables: LocaleTables, *, name: str, viewport: str, allowed: Iterable[str] = ()
) -> list[Finding]:
    """Switch to the other language and back again, checking the page after each switch and
    screenshotting it once per language: a label that stays behind shows either way."""
    allowed = list(allowed)
    start = page_lang(page)
    found: list[Finding] = []
    for step, lang in enumerate((start, tables.other(start), start)):
        switch_language(page, lang)
        texts = page.evaluate(COLLECT_TEXT)
        found += [f for f in tables.findings(lang, texts, allowed) if f not in found]
        if step < 2:
            screenshot(page, name, lang, viewport)
    return found


def assert_one_language(
    page: Page, tables: LocaleTables, *, name: str, viewport: str, allowed: Iterable[str] = ()
) -> None:
    """The sweep as an assertion whose message lists every text in the wrong language."""
    found = language_findings(page, tables, name=name, viewport=viewport, allowed=allowed)
    assert not found, f"{name} ({viewport}) shows the other language:\n" + "\n".join(
        map(str, found)
    )
