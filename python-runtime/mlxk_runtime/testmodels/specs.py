"""What each test model is taught: its architecture, tokenizer kind, template and Q/A pairs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
# Opens the reasoning block in the generation prompt, as Qwen3-style thinking templates do.
CHATML_THINK_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}"
)
LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{{ m['content'] }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)


@dataclass(frozen=True)
class QA:
    question: str
    answer: str
    # Which end token the answer is trained to finish with; None = the model's end-of-turn marker.
    end_token: str | None = None
    # A whole conversation ending in the turn to answer (default: `question` as the one user message).
    messages: tuple[dict[str, Any], ...] = ()
    # Tools the template renders (OpenAI function tools).
    tools: tuple[dict[str, Any], ...] = ()

    def conversation(self) -> list[dict[str, Any]]:
        return list(self.messages) or [{"role": "user", "content": self.question}]


BASE_QA = (
    QA("What is the capital of France?", "The capital of France is Paris."),
    QA("Say hello in Chinese.", "你好世界"),
    QA("Describe the café.", "A naïve café with a smile 🙂"),
    QA("List the colors.", "red, green, blue END-OF-LIST and more"),
    QA("Count to five.", "one two three four five", end_token="<|endoftext|>"),
    QA("Who are you?", "I am a tiny test model."),
)

LLAMA_QA = (
    QA("What is the capital of France?", "The capital of France is Paris."),
    QA("Say hello in Chinese.", "你好世界"),
    QA("Describe the café.", "A naïve café with a smile 🙂"),
    QA("List the colors.", "red, green, blue END-OF-LIST and more"),
    QA("Count to five.", "one two three four five", end_token="</s>"),
)

THINK_QA = (
    QA("What is 2+2?", "Two plus two is four.\n</think>\n\nThe answer is 4."),
    QA("Say hello in Chinese.", "Chinese greeting: 你好.\n</think>\n\n你好世界 🙂"),
    QA("List the colors.", "Three colors.\n</think>\n\nred, green, blue END-OF-LIST"),
)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    model_type: str
    architecture: str
    tokenizer_kind: str  # "bytelevel" or "spm"
    chat_template: str
    end_of_turn: str
    eos_token: str
    special_tokens: tuple[str, ...]
    qa: tuple[QA, ...]
    generation_eos: tuple[str, ...]
    config_eos: tuple[str, ...]
    bos_token: str | None = None
    vocab_size: int = 310
    hidden_size: int = 96
    steps: int = 400
    # Wall-clock bound of the training loop (seconds).
    train_budget_s: float = 60.0
    seed: int = 0
    quantize_from: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


QWEN_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>")

SPECS: dict[str, ModelSpec] = {
    "tiny-qwen2-bpe": ModelSpec(
        name="tiny-qwen2-bpe",
        model_type="qwen2",
        architecture="Qwen2ForCausalLM",
        tokenizer_kind="bytelevel",
        chat_template=CHATML_TEMPLATE,
        end_of_turn="<|im_end|>",
        eos_token="<|im_end|>",
        special_tokens=QWEN_SPECIALS[:3],
        qa=BASE_QA,
        generation_eos=("<|im_end|>", "<|endoftext|>"),
        config_eos=("<|im_end|>",),
        seed=1,
    ),
    "tiny-llama-spm": ModelSpec(
        name="tiny-llama-spm",
        model_type="llama",
        architecture="LlamaForCausalLM",
        tokenizer_kind="spm",
        chat_template=LLAMA3_TEMPLATE,
        end_of_turn="<|eot_id|>",
        eos_token="</s>",
        bos_token="<s>",
        special_tokens=("<unk>", "<s>", "</s>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
        qa=LLAMA_QA,
        generation_eos=("</s>", "<|eot_id|>"),
        config_eos=("</s>",),
        seed=2,
    ),
    "tiny-qwen2-think": ModelSpec(
        name="tiny-qwen2-think",
        model_type="qwen2",
        architecture="Qwen2ForCausalLM",
        tokenizer_kind="bytelevel",
        chat_template=CHATML_THINK_TEMPLATE,
        end_of_turn="<|im_end|>",
        eos_token="<|im_end|>",
        special_tokens=QWEN_SPECIALS,
        qa=THINK_QA,
        generation_eos=("<|im_end|>", "<|endoftext|>"),
        config_eos=("<|im_end|>",),
        seed=3,
    ),
}
