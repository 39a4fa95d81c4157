import {Args, Flags, MlxkCommand, usageError} from 'mlxk/sdk'
import {cacheRoot} from 'mlxk/sdk/cache'
import {groupFlags, groupOptionsFrom, resolveGroupSpec, SAMPLING_DEFAULTS} from 'mlxk/sdk/runtime'
import {prepareRunTarget, supportedModelTypes} from 'mlxk/sdk/services'

import type {DisplayOptions} from '../answer-writer.js'
import type {ChatSummary} from '../chat/chat-loop.js'
import {openModelSession} from '../model-session.js'
import {decimalFlag} from '../number-flag.js'
import {answerOnce} from '../one-shot.js'
import {readPromptInput} from '../prompt-input.js'
import type {RunData} from '../run-data.js'
import {samplingParams} from '../sampling.js'
import {formatLoadLine} from '../stats.js'
import {toolParamsOf} from '../tools.js'

type RunResult = ChatSummary | RunData

export default class Run extends MlxkCommand<RunResult> {
  static override args = {
    model: Args.string({
      description:
        'Cached model (full or short name, `name@revision`) or the path of a model folder (./dir, /abs/dir, ~/dir).',
      ignoreStdin: true,
      required: true,
    }),
    prompt: Args.string({
      description:
        'The prompt. `-` reads it from stdin; words after `-` (or after piped input) are appended as the instruction. Omit it to chat.',
      // stdin is read by the command itself (it may be material plus an instruction), never by oclif.
      ignoreStdin: true,
    }),
  }
  static override description = `Without a prompt and with a terminal on stdin, starts an interactive chat that keeps the conversation \
(/help lists its commands). With a prompt, answers once, streaming the tokens to stdout.

Before the Python runtime starts, the model is resolved and checked: a broken download, a model that is not MLX, an \
unsupported architecture or one that needs custom code fails at once with the reason and what to do.

Sampling defaults follow mlx-knife: temperature 0.7 and top-p 0.9. Use --temperature 0 for greedy, repeatable output. \
Reasoning models' thinking is kept apart from the answer: shown as a <think> block when stdout is a terminal, hidden \
when it is piped (--show-reasoning / --hide-reasoning override), and always returned as \`reasoning\` in --json.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> Qwen3-4B "Why is the sky blue?"',
    '<%= config.bin %> <%= command.id %> Qwen3-4B',
    'cat notes.txt | <%= config.bin %> <%= command.id %> Qwen3-4B - "Summarise this in three bullet points"',
    '<%= config.bin %> <%= command.id %> ./my-finetune "Hello" --temperature 0 --max-tokens 50 --json',
  ]
  static override flags = {
    ...groupFlags,
    'chat-template': Flags.boolean({
      allowNo: true,
      default: true,
      description:
        'Render the prompt with the model’s chat template; --no-chat-template sends the raw text (one-shot only).',
    }),
    'frequency-penalty': decimalFlag({
      description: 'Subtract this times the count of each token among the last 20 (OpenAI semantics; 0 = off).',
      max: 2,
      min: -2,
    }),
    'hide-reasoning': Flags.boolean({description: 'Never print the model’s reasoning.', exclusive: ['show-reasoning']}),
    'max-tokens': Flags.integer({
      description: 'Most tokens to generate per answer. Default: as many as fit in the context.',
      min: 1,
    }),
    'min-p': decimalFlag({description: 'Min-p sampling (0 = off).', max: 1, min: 0}),
    'presence-penalty': decimalFlag({
      description: 'Subtract this from every token already among the last 20 (OpenAI semantics; 0 = off).',
      max: 2,
      min: -2,
    }),
    'repetition-penalty': decimalFlag({
      description: 'Penalty for tokens among the last 20 (1 = off, the default).',
      min: 0,
      minExclusive: true,
    }),
    seed: Flags.integer({description: 'Random seed, for repeatable sampling.'}),
    'show-reasoning': Flags.boolean({description: 'Print the model’s reasoning even when stdout is not a terminal.'}),
    stop: Flags.string({
      description: 'Stop generating at this text (not included in the answer). Repeatable.',
      multiple: true,
    }),
    stream: Flags.boolean({
      allowNo: true,
      default: true,
      description: 'Print tokens as they are generated; --no-stream prints the answer once it is complete.',
    }),
    system: Flags.string({description: 'System prompt.'}),
    temperature: decimalFlag({
      default: SAMPLING_DEFAULTS.temperature,
      description: 'Sampling temperature; 0 = greedy.',
      min: 0,
    }),
    'tool-choice': Flags.string({
      description:
        'With --tools: auto (the default), none, required (a call is forced), or the name of the tool to call.',
    }),
    tools: Flags.string({
      description:
        'A JSON file with a list of OpenAI function tools the model may call; the calls are printed (one-shot only).',
    }),
    'top-k': Flags.integer({description: 'Top-k sampling (0 = off).', min: 0}),
    'top-p': decimalFlag({
      default: SAMPLING_DEFAULTS.top_p,
      description: 'Nucleus sampling (1 = off).',
      max: 1,
      min: 0,
      minExclusive: true,
    }),
    verbose: Flags.boolean({char: 'v', description: 'Print load time, time to first token and tokens/s to stderr.'}),
  }
  static override strict = false
  static override summary = 'Chat with a model, or answer one prompt (stdin works too).'
  // strict = false makes oclif print every argument as variadic; the real shape is one model, then prompt words.
  static override usage = '<%= command.id %> MODEL [PROMPT...] [FLAGS]'

  async run(): Promise<RunResult> {
    const {args, argv, flags} = await this.parse(Run)
    // strict = false collects unquoted prompt words (`mlxk run m why is the sky blue`); argv[0] is the model.
    // oclif still refuses unknown flags, so a mistyped flag never becomes prompt text.
    const words = (argv as string[]).slice(1)
    if (!flags['chat-template'] && flags.system !== undefined) {
      throw usageError('--system needs the chat template; drop --no-chat-template or put the text in the prompt')
    }

    const tools = toolParamsOf(flags.tools, flags['tool-choice'])
    if (tools && !flags['chat-template']) throw usageError('--tools needs the chat template, which renders them')
    const group = resolveGroupSpec(groupOptionsFrom(flags))
    // The model is checked first: a typo in its name should not wait for a prompt typed on stdin.
    const target = await prepareRunTarget({root: cacheRoot(), spec: args.model, supported: supportedModelTypes()})
    if (group !== undefined) {
      const {locateRuntime, preflightGroup} = await import('mlxk/sdk/runtime')
      await preflightGroup(group, {modelPaths: [target.path], python: locateRuntime().python})
    }

    const input = await readPromptInput({json: this.jsonEnabled(), words})
    const display = displayOptions(flags)
    const sampling = samplingParams(flags)
    const session = await openModelSession(target, this.logger, group)
    try {
      if (flags.verbose) process.stderr.write(formatLoadLine(target.name, session.loaded) + '\n')
      if (input.kind === 'chat') {
        if (tools) throw usageError('--tools answers one prompt; give the prompt')
        const {runChat} = await import('../chat/chat-loop.js')
        const summary = await runChat({
          display,
          modelName: target.name,
          sampling,
          session,
          stream: flags.stream,
          system: flags.system,
          verbose: flags.verbose,
        })
        return this.output(summary, () => '')
      }

      // Human output is written while generating (that is the point of streaming), so `output()` renders nothing.
      const sink = this.jsonEnabled()
        ? null
        : {stream: flags.stream, write: (text: string) => void process.stdout.write(text)}
      const data = await answerOnce({
        chatTemplate: flags['chat-template'],
        display,
        prompt: input.prompt,
        sampling,
        session,
        sink,
        spec: args.model,
        system: flags.system,
        target,
        tools,
        verbose: flags.verbose,
      })
      return this.output(data, () => '')
    } finally {
      await session.client.close()
    }
  }
}

/** Reasoning shows by default only on a terminal, so `mlxk run m "q" > answer.txt` holds just the answer. */
function displayOptions(flags: {'hide-reasoning': boolean; 'show-reasoning': boolean}): DisplayOptions {
  const tty = process.stdout.isTTY === true
  const showReasoning = flags['show-reasoning'] || (!flags['hide-reasoning'] && tty)
  const color = tty && process.env.NO_COLOR === undefined && process.env.FORCE_COLOR !== '0'
  return {color, showReasoning}
}
