"""The tool-calling test models: templates that render tools the way two real families do, so that mlx-lm selects
its `json_tools` parser (Qwen2.5/Hermes `<tool_call>` JSON, with Qwen3-style thinking) for one and its `mistral`
parser (`[TOOL_CALLS]name[ARGS]{…}`) for the other, and Q/A pairs that teach a call for some prompts and prose for
others. Their answers are listed in expected-tools.json, apart from expected.json, whose models every generation
test walks through without tools."""

from __future__ import annotations

import json
from typing import Any

from .specs import QA, QWEN_SPECIALS, ModelSpec

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Local time in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TOOLS = (WEATHER, TIME)

# Text right after a block tag is written as an expression: transformers renders templates with trim_blocks.
QWEN_TOOLS_TEMPLATE = (
    "{% if tools %}<|im_start|>system\nTools:{% for tool in tools %} {{ tool.function.name }}{% endfor %}"
    "{{ '\\n' }}Call as <tool_call>{\"name\": ..., \"arguments\": ...}</tool_call><|im_end|>{{ '\\n' }}{% endif %}"
    "{% for m in messages %}"
    "{% if m.role == 'assistant' and m.tool_calls %}<|im_start|>assistant{{ '\\n' }}"
    "{% if m.content %}{{ m.content }}{{ '\\n' }}{% endif %}"
    "{% for tc in m.tool_calls %}{% set tool_call = tc.function %}{% if not loop.first %}{{ '\\n' }}{% endif %}"
    '<tool_call>{{ \'\\n\' }}{"name": "{{ tool_call.name }}", "arguments": {{ tool_call.arguments | tojson }}}'
    "{{ '\\n' }}</tool_call>{% endfor %}<|im_end|>{{ '\\n' }}"
    "{% elif m.role == 'tool' %}<|im_start|>user\n<tool_response>\n{{ m.content }}\n</tool_response><|im_end|>"
    "{{ '\\n' }}"
    "{% elif m.role == 'assistant' and m.reasoning_content %}<|im_start|>assistant\n<think>\n"
    "{{ m.reasoning_content }}\n</think>\n\n{{ m.content }}<|im_end|>{{ '\\n' }}"
    "{% else %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>{{ '\\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant{{ '\\n' }}{% endif %}"
)

MISTRAL_TOOLS_TEMPLATE = (
    "{{ bos_token }}{% if tools %}[AVAILABLE_TOOLS]{% for tool in tools %} {{ tool.function.name }}{% endfor %}"
    "[/AVAILABLE_TOOLS]{% endif %}"
    "{% for m in messages %}"
    "{% if m.role == 'assistant' and m.tool_calls %}"
    "{% for tc in m.tool_calls %}[TOOL_CALLS]{{ tc.function.name }}[ARGS]{{ tc.function.arguments | tojson }}"
    "{% endfor %}</s>"
    "{% elif m.role == 'tool' %}[TOOL_RESULTS]{{ m.content }}[/TOOL_RESULTS]"
    "{% elif m.role == 'assistant' %}{{ m.content }}</s>"
    "{% else %}[INST]{{ m.content }}[/INST]{% endif %}"
    "{% endfor %}"
)


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {
        "id": f"call_{name}_{len(arguments)}",
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def qwen_call(name: str, **arguments: Any) -> str:
    return f'<tool_call>\n{{"name": "{name}", "arguments": {json.dumps(arguments, ensure_ascii=False)}}}\n</tool_call>'


def mistral_call(name: str, **arguments: Any) -> str:
    return f"[TOOL_CALLS]{name}[ARGS]{json.dumps(arguments, ensure_ascii=False)}"


def after_result(question: str, result: str, answer: str, *calls: dict[str, Any]) -> QA:
    """The turn after the caller ran the tool: the model answers from its result."""
    messages = (
        {"role": "user", "content": question},
        {"role": "assistant", "content": None, "tool_calls": list(calls)},
        *({"role": "tool", "tool_call_id": c["id"], "content": result} for c in calls),
    )
    return QA(question, answer, messages=messages, tools=TOOLS)


WEATHER_Q = "What is the weather in Paris?"
QWEN_TOOLS_QA = (
    QA(WEATHER_Q, qwen_call("get_weather", city="Paris"), tools=TOOLS),
    QA(
        "Weather in Paris and Tokyo?",
        qwen_call("get_weather", city="Paris") + "\n" + qwen_call("get_weather", city="Tokyo"),
        tools=TOOLS,
    ),
    QA("Check the time in Oslo.", "Let me look.\n" + qwen_call("get_time", city="Oslo"), tools=TOOLS),
    QA(
        "Think, then get the weather in Rome.",
        "<think>\nRome needs a lookup.\n</think>\n\n" + qwen_call("get_weather", city="Rome"),
        tools=TOOLS,
    ),
    QA("Show a broken call.", '<tool_call>\n{"name": get_weather}\n</tool_call>', tools=TOOLS),
    QA("Who are you?", "I am a tiny tool model.", tools=TOOLS),
    QA("Say hello in Chinese.", "你好世界 🙂", tools=TOOLS),
    after_result(WEATHER_Q, "sunny, 21 C", "It is sunny in Paris.", call("get_weather", city="Paris")),
)

MISTRAL_SPECIALS = (
    "<unk>",
    "<s>",
    "</s>",
    "[INST]",
    "[/INST]",
    "[TOOL_CALLS]",
    "[ARGS]",
    "[AVAILABLE_TOOLS]",
    "[/AVAILABLE_TOOLS]",
    "[TOOL_RESULTS]",
    "[/TOOL_RESULTS]",
)
MISTRAL_TOOLS_QA = (
    QA(WEATHER_Q, mistral_call("get_weather", city="Paris"), tools=TOOLS),
    QA(
        "Weather in Paris and Tokyo?",
        mistral_call("get_weather", city="Paris") + mistral_call("get_weather", city="Tokyo"),
        tools=TOOLS,
    ),
    QA("Who are you?", "I am a tiny tool model.", tools=TOOLS),
    after_result(WEATHER_Q, "sunny, 21 C", "It is sunny in Paris.", call("get_weather", city="Paris")),
)

TOOL_SPECS: dict[str, ModelSpec] = {
    "tiny-qwen2-tools": ModelSpec(
        name="tiny-qwen2-tools",
        model_type="qwen2",
        architecture="Qwen2ForCausalLM",
        tokenizer_kind="bytelevel",
        chat_template=QWEN_TOOLS_TEMPLATE,
        end_of_turn="<|im_end|>",
        eos_token="<|im_end|>",
        special_tokens=(*QWEN_SPECIALS, "<tool_call>", "</tool_call>"),
        qa=QWEN_TOOLS_QA,
        generation_eos=("<|im_end|>", "<|endoftext|>"),
        config_eos=("<|im_end|>",),
        vocab_size=420,
        steps=300,
        train_budget_s=400.0,
        seed=5,
    ),
    "tiny-mistral-tools": ModelSpec(
        name="tiny-mistral-tools",
        model_type="llama",
        architecture="LlamaForCausalLM",
        tokenizer_kind="spm",
        chat_template=MISTRAL_TOOLS_TEMPLATE,
        end_of_turn="</s>",
        eos_token="</s>",
        bos_token="<s>",
        special_tokens=MISTRAL_SPECIALS,
        qa=MISTRAL_TOOLS_QA,
        generation_eos=("</s>",),
        config_eos=("</s>",),
        steps=300,
        train_budget_s=400.0,
        seed=6,
    ),
}
# Markers the model writes as text (mlx-lm finds them in the decoded text), as Qwen and Mistral declare them.
PLAIN_TOKENS = ("<think>", "</think>", "<tool_call>", "</tool_call>", *MISTRAL_SPECIALS[3:])
