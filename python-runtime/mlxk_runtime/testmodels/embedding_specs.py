"""What the tiny embedding test models are taught: sentences grouped by meaning, each group a few paraphrases."""

from __future__ import annotations

from dataclasses import dataclass

# Each group says one thing three ways; training pulls a group together and pushes the groups apart.
TOPICS: tuple[tuple[str, str, str], ...] = (
    ("The cat sleeps on the mat.", "A kitten is napping on the rug.", "On the mat, the cat is asleep."),
    ("How do I bake bread at home?", "What is a recipe for homemade bread?", "Baking bread in my own kitchen."),
    ("The stock market fell sharply today.", "Shares dropped a lot on the exchange.", "Markets crashed this morning."),
    ("It is raining heavily outside.", "A strong rain is falling out there.", "Heavy showers outdoors right now."),
    ("She plays the violin beautifully.", "Her violin playing is lovely.", "A beautiful violin performance by her."),
    ("The train to Paris is late.", "Our Paris train is delayed.", "Delays on the railway to Paris."),
    ("Python is a programming language.", "People write software in Python.", "Coding with the Python language."),
    ("The soup needs more salt.", "Add some salt to the soup.", "This soup is not salty enough."),
    ("My phone battery is empty.", "The battery of my phone died.", "I need to charge my phone."),
    ("The children are playing football.", "Kids kick a ball in the park.", "A football game among the children."),
    ("Café au lait with a croissant.", "A croissant and coffee with milk.", "Breakfast: café, croissant."),
    ("The museum opens at nine.", "Doors of the museum open at 9 am.", "At nine the museum opens its doors."),
)


@dataclass(frozen=True)
class EmbedderSpec:
    name: str
    model_type: str
    architecture: str
    tokenizer_kind: str  # "wordpiece" or "bytelevel"
    pooling: str  # what 1_Pooling/config.json declares
    normalize: bool  # whether modules.json has a Normalize module
    max_seq_length: int
    matryoshka: bool
    hidden_size: int = 64
    vocab_size: int = 420
    seed: int = 0
    steps: int = 300


EMBEDDER_SPECS: dict[str, EmbedderSpec] = {
    # A sentence-transformers BERT: mean pooling, no Normalize module (like the paraphrase-MiniLM family).
    "tiny-bert-embed": EmbedderSpec(
        name="tiny-bert-embed",
        model_type="bert",
        architecture="BertModel",
        tokenizer_kind="wordpiece",
        pooling="mean",
        normalize=False,
        max_seq_length=32,
        matryoshka=False,
        seed=11,
    ),
    # A Qwen3-Embedding lookalike: causal decoder, last-token pooling, normalised, Matryoshka sizes.
    "tiny-qwen3-embed": EmbedderSpec(
        name="tiny-qwen3-embed",
        model_type="qwen3",
        architecture="Qwen3ForCausalLM",
        tokenizer_kind="bytelevel",
        pooling="last",
        normalize=True,
        max_seq_length=64,
        matryoshka=True,
        seed=12,
    ),
}
