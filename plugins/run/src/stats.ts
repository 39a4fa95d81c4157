import type {DoneEvent, LoadedEvent, StartEvent} from 'mlxk/sdk/runtime'

/** `--verbose`: one line after loading. Written to stderr so stdout stays the answer alone. */
export function formatLoadLine(name: string, loaded: LoadedEvent): string {
  const split = loaded.sharding ? `, ${loaded.sharding.mode} parallel over ${loaded.sharding.world_size} ranks` : ''
  return `[mlxk] loaded ${name} in ${seconds(loaded.load_time_s)} (${megabytes(loaded.memory_bytes)} MB, context ${loaded.context_length} tokens${split})`
}

/** `--verbose`: one line after each answer; in a chat, the cached count shows the earlier turns were not prefilled. */
export function formatGenerationLine(start: StartEvent, done: DoneEvent): string {
  const {timing, usage} = done
  return (
    `[mlxk] prompt ${usage.prompt_tokens} tokens (${usage.cached_tokens} cached), generated ${usage.completion_tokens}` +
    ` in ${seconds(timing.total_s)}` +
    ` · TTFT ${seconds(timing.ttft_s)} · ${timing.tokens_per_s.toFixed(1)} tokens/s · finish ${done.finish_reason}` +
    (start.clamped ? ` (budget clamped to ${start.max_tokens} by the context)` : '')
  )
}

function seconds(value: number): string {
  return `${value.toFixed(3)} s`
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1)
}
