import {Args, Flags, MlxkCommand, usageError} from 'mlxk/sdk'
import {cacheRoot} from 'mlxk/sdk/cache'
import {prepareRunTarget, supportedModelTypes} from 'mlxk/sdk/services'

import {addBatch, type EmbedData, vectorLine} from '../embed/embed-data.js'
import {jsonlTextBatches} from '../embed/texts.js'
import {openModelSession} from '../model-session.js'

export default class Embed extends MlxkCommand<EmbedData> {
  static override args = {
    model: Args.string({
      description: 'Cached embedding model (full or short name, `name@revision`) or the path of a model folder.',
      ignoreStdin: true,
      required: true,
    }),
    text: Args.string({
      description: 'The text to embed. `-`, or no text with piped stdin, reads JSON Lines `{"text": …}` from stdin.',
      ignoreStdin: true,
    }),
  }
  static override description = `Prints one vector per line, as a JSON array of floats: one for TEXT, or one per line of \
JSON Lines on stdin, in order. Stdin is embedded in batches (--batch-size) as it arrives, so a long file streams. \
With --json, the envelope's data holds every vector with token counts.

Embedding models are BERT-style encoders (bert, roberta, xlm-roberta) and decoder embedders such as \
Qwen3-Embedding; pooling (mean, CLS or last token) and normalisation follow the model's sentence-transformers \
files, and inputs longer than the model's maximum length are cut to it (listed in \`truncated\`).`
  static override examples = [
    '<%= config.bin %> <%= command.id %> Qwen3-Embedding-0.6B "What is MLX?"',
    "jq -c '{text: .title}' docs.jsonl | <%= config.bin %> <%= command.id %> bge-small-en -",
    '<%= config.bin %> <%= command.id %> Qwen3-Embedding-0.6B "What is MLX?" --dimensions 256 --json',
  ]
  static override flags = {
    'batch-size': Flags.integer({
      default: 64,
      description: 'Inputs per runtime request when reading stdin.',
      max: 2048,
      min: 1,
    }),
    dimensions: Flags.integer({
      description: 'Shorten each vector to this many dimensions and renormalise (models trained for it only).',
      min: 1,
    }),
  }
  static override summary = 'Embed a text, or JSON Lines from stdin: one vector per line.'

  async run(): Promise<EmbedData> {
    const {args, flags} = await this.parse(Embed)
    const fromStdin = args.text === '-' || (args.text === undefined && !process.stdin.isTTY)
    if (args.text === undefined && !fromStdin) {
      throw usageError('Give a text to embed, or pipe JSON Lines {"text": …} on stdin', {
        hint: 'mlxk embed <model> "some text"',
      })
    }

    if (args.text === '') throw usageError('The text to embed is empty')
    const target = await prepareRunTarget({
      purpose: 'embed',
      root: cacheRoot(),
      spec: args.model,
      supported: supportedModelTypes(),
    })
    const {decodeEmbeddings, dimensionsProblem} = await import('mlxk/sdk/runtime')
    const session = await openModelSession(target, this.logger)
    const json = this.jsonEnabled()
    try {
      const info = session.loaded.embedding!
      const problem = flags.dimensions === undefined ? undefined : dimensionsProblem(flags.dimensions, info)
      if (problem) throw usageError(`--dimensions ${flags.dimensions}: ${problem}`)
      const shortened = flags.dimensions !== undefined && flags.dimensions < info.dimensions
      const data: EmbedData = {
        count: 0,
        dimensions: flags.dimensions ?? info.dimensions,
        embeddings: [],
        model: args.model,
        normalized: info.normalize || shortened,
        token_counts: [],
        truncated: [],
        usage: {prompt_tokens: 0},
      }
      const batches = fromStdin ? jsonlTextBatches(process.stdin, flags['batch-size']) : single(args.text!)
      for await (const input of batches) {
        const event = await session.client.embed({
          input,
          model_id: session.modelId,
          ...(flags.dimensions === undefined ? {} : {dimensions: flags.dimensions}),
        })
        const vectors = decodeEmbeddings(event)
        // Human output streams; only --json holds every vector until the end.
        if (!json) process.stdout.write(vectors.map((v) => vectorLine(v)).join(''))
        addBatch(data, event, json ? vectors : undefined)
      }

      if (data.count === 0) throw usageError('No text to embed: stdin held no {"text": …} lines')
      return this.output(data, () => '')
    } finally {
      await session.client.close()
    }
  }
}

async function* single(text: string): AsyncGenerator<string[]> {
  yield [text]
}
