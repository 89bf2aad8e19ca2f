"""Knowledge documents: Markdown with front matter, policy placeholders rendered, split into chunks."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.catalog import Catalog, Device, storage_label
from bot.errors import ConfigError, KnowledgeError

KINDS = ("policy", "guide", "comparison", "impact", "faq", "device")
REQUIRED = ("id", "kind", "title", "source", "as_of")
_PLACEHOLDER = re.compile(r"\{\{\s*policy\.([\w.]+)\s*\}\}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")


@dataclass(frozen=True)
class Document:
    """One knowledge document after rendering."""

    id: str
    kind: str
    title: str
    source: str
    as_of: str
    body: str
    device: str | None = None
    questions: tuple[str, ...] = ()  # shopper questions this document answers (extra retrieval keys)


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: one section of a document."""

    id: str
    doc_id: str
    kind: str
    title: str
    heading: str
    text: str
    device: str | None

    @property
    def indexed_text(self) -> str:
        """What gets embedded and BM25-indexed: title, heading and text."""
        return f"{self.title}. {self.heading}. {self.text}"


def spoken_list(values: list[Any]) -> str:
    """A list as a sentence says it: numbers are alternatives ("13 or 24"), words an enumeration ("a, b and c")."""
    words = [str(v) for v in values]
    if len(words) <= 1:
        return "".join(words)
    joiner = " or " if all(isinstance(v, (int, float)) for v in values) else " and "
    return ", ".join(words[:-1]) + joiner + words[-1]


def render_policy(text: str, policy: dict[str, Any], where: str) -> str:
    """Replace {{ policy.a.b }} with the configured value; an unknown path is an error naming the file."""

    def value(match: re.Match[str]) -> str:
        node: Any = policy
        for part in match.group(1).split("."):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(f"{where}: unknown placeholder policy.{match.group(1)} (see config/policy.yaml)")
            node = node[part]
        if isinstance(node, list):
            return spoken_list(node)
        return str(node)

    return _PLACEHOLDER.sub(value, text)


def load_document(path: Path, policy: dict[str, Any]) -> Document:
    """Parse one Markdown document; broken front matter is an error naming the file."""
    raw = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", raw, re.S)
    if not match:
        raise KnowledgeError(f"{path}: missing front matter (a '---' block with {', '.join(REQUIRED)})")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as err:
        raise KnowledgeError(f"{path}: front matter is not valid YAML ({err})") from None
    if not isinstance(meta, dict) or any(k not in meta for k in REQUIRED):
        raise KnowledgeError(f"{path}: front matter needs {', '.join(REQUIRED)}")
    if meta["kind"] not in KINDS:
        raise KnowledgeError(f"{path}: kind '{meta['kind']}' is not one of {', '.join(KINDS)}")
    body = render_policy(match.group(2), policy, str(path))
    questions = meta.get("questions") or []
    if not isinstance(questions, list):
        raise KnowledgeError(f"{path}: 'questions' must be a list of questions")
    return Document(str(meta["id"]), str(meta["kind"]), render_policy(str(meta["title"]), policy, str(path)),
                    str(meta["source"]), str(meta["as_of"]), body,
                    questions=tuple(render_policy(str(q), policy, str(path)) for q in questions))


def load_documents(folder: Path, policy: dict[str, Any], catalog: Catalog) -> list[Document]:
    """Every Markdown document plus one generated document per catalog device."""
    docs = [load_document(p, policy) for p in sorted(folder.glob("*.md"))]
    docs += [device_document(d, catalog) for d in catalog.devices]
    ids = [d.id for d in docs]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise KnowledgeError(f"{folder}: two documents have the id '{duplicate}'")
    return docs


def device_document(device: Device, catalog: Catalog) -> Document:
    """A short factual page for one catalog model, from the price table."""
    base = device.base_storage
    lines = [f"## {device.name} at a glance",
             f"The {device.name} is {_article(device.brand)} {device.brand} {device.category} released in {device.year}. "
             f"It comes with {device.storage_choices} of storage. Its launch price was "
             f"${device.new_price_usd[base]:,.0f} for {storage_label(base)}."]
    if device.base_storage in device.refurbished_usd:
        grades = device.refurbished_usd[base]
        lines.append(f"A refurbished {device.name} costs from ${grades['fair']:,.0f} (Fair) to "
                     f"${grades['premium']:,.0f} (Premium) as of {catalog.as_of}.")
    lines.append(f"Our trade-in offer for a flawless, unlocked {device.name} is up to "
                 f"${max(device.trade_in_base_usd.values()):,.0f} as of {catalog.as_of}.")
    if device.co2e_kg is not None:
        lines.append(f"Making a new {device.name} emits about {device.co2e_kg} kg CO2e over its life cycle "
                     f"({device.co2e_source}).")
    return Document(id=f"device-{device.id}", kind="device", title=device.name,
                    source=f"Loop Market price table {catalog.version} ({catalog.as_of})", as_of=catalog.as_of,
                    body="\n\n".join(lines), device=device.name)


def chunk_document(doc: Document) -> list[Chunk]:
    """Split on '##' headings; each section is one chunk with a content-hash id."""
    chunks: list[Chunk] = []
    sections = re.split(r"^##\s+", doc.body, flags=re.M)
    for section in sections:
        section = section.strip()
        if not section:
            continue
        heading, _, text = section.partition("\n")
        text = " ".join(text.split()) if text.strip() else heading
        digest = hashlib.sha256(f"{doc.id}\n{doc.kind}\n{doc.title}\n{heading}\n{text}".encode()).hexdigest()[:24]
        chunks.append(Chunk(id=f"{doc.id}:{digest}", doc_id=doc.id, kind=doc.kind, title=doc.title,
                            heading=heading.strip(), text=text, device=doc.device))
    return chunks


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage, for answer composition."""
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.strip()) > 2]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
