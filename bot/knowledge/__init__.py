"""Knowledge base: documents, offline embeddings, the Chroma + BM25 index, hybrid retrieval, answers."""
