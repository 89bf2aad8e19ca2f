"""Knowledge index and retrieval: full build, no-change re-index, query latency, memory.

Run: .venv/bin/python benchmarks/retrieval.py
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import open_knowledge
from bot.settings import PROJECT_ROOT, load_settings
from bot.shop import load_shop

RESULTS = Path(__file__).parent / "results"


def _build_in_child(index: Path) -> tuple[dict[str, float], list[float]]:
    code = (
        "import json,sys\nfrom pathlib import Path\nfrom bot.knowledge.index import build_index\n"
        "from bot.knowledge.embeddings import MiniLMEmbeddings\nfrom bot.settings import PROJECT_ROOT\n"
        "from bot.shop import load_shop\n"
        "shop = load_shop(PROJECT_ROOT / 'config', PROJECT_ROOT / 'knowledge'); e = MiniLMEmbeddings(threads=2)\n"
        "full = build_index(shop, PROJECT_ROOT / 'knowledge', Path(sys.argv[1]), e)\n"
        "again = [build_index(shop, PROJECT_ROOT / 'knowledge', Path(sys.argv[1]), e).seconds for _ in range(3)]\n"
        "print(json.dumps({'full': full.__dict__, 'again': again}))\n")
    out = subprocess.run([sys.executable, "-c", code, str(index)], cwd=PROJECT_ROOT, check=True,
                         capture_output=True, text=True).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return data["full"], data["again"]


def main() -> None:
    shop = load_shop(PROJECT_ROOT / "config", PROJECT_ROOT / "knowledge")
    questions = [i["q"] for i in yaml.safe_load((PROJECT_ROOT / "tests/data/retrieval_eval.yaml").read_text())]
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        # Build in a child process, so the memory figure below is that of a bot serving queries.
        full, again = _build_in_child(index)
        kb = open_knowledge(load_settings(index_dir=index), shop, auto_index=False)
        for q in questions[:20]:  # warm-up
            kb.retriever.search(q, k=5)
        search_ms, answer_ms = [], []
        for q in questions:
            started = time.perf_counter()
            kb.retriever.search(q, k=5)
            search_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            kb.answer(q)
            answer_ms.append((time.perf_counter() - started) * 1000)
    search_ms.sort()
    answer_ms.sort()
    report = {
        "documents": full["documents"], "chunks": full["chunks"], "cards": len(kb.cards.cards),
        "full_build_s": round(full["seconds"], 2),
        "chunks_per_s": round(full["chunks"] / full["seconds"], 1),
        "no_change_reindex_s_median": round(statistics.median(again), 3),
        "query_ms": {"n": len(search_ms), "p50": round(statistics.median(search_ms), 2),
                     "p95": round(search_ms[int(0.95 * (len(search_ms) - 1))], 2)},
        "answer_ms": {"p50": round(statistics.median(answer_ms), 2),
                      "p95": round(answer_ms[int(0.95 * (len(answer_ms) - 1))], 2)},
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(f"full build: {report['documents']} documents, {report['chunks']} chunks, {report['cards']} answer cards "
          f"in {report['full_build_s']} s "
          f"({report['chunks_per_s']} chunks/s, sentences, headings, questions and scope examples embedded too)")
    print(f"no-change re-index: median {report['no_change_reindex_s_median']} s")
    print(f"query (embedding + hybrid search), {len(search_ms)} questions: p50 {report['query_ms']['p50']} ms, "
          f"p95 {report['query_ms']['p95']} ms; answer (embedding + card match) p50 {report['answer_ms']['p50']} ms, "
          f"p95 {report['answer_ms']['p95']} ms")
    print(f"max resident memory with index and model loaded: {report['max_rss_mb']} MB")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "retrieval.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
