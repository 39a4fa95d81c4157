import {mkdir, writeFile} from 'node:fs/promises'
import {dirname, extname, resolve} from 'node:path'

import type {Conversation} from './conversation.js'

/** `/save <file>`: JSON for a `.json` name (the request messages, ready to replay), Markdown otherwise. */
export async function saveTranscript(
  file: string,
  model: string,
  conversation: Conversation,
): Promise<{format: 'json' | 'markdown'; path: string}> {
  const path = resolve(file)
  const format = extname(path).toLowerCase() === '.json' ? 'json' : 'markdown'
  const text = format === 'json' ? asJson(model, conversation) : asMarkdown(model, conversation)
  await mkdir(dirname(path), {recursive: true})
  await writeFile(path, text)
  return {format, path}
}

function asJson(model: string, conversation: Conversation): string {
  return JSON.stringify({messages: conversation.messages(), model, saved_at: new Date().toISOString()}, null, 2) + '\n'
}

function asMarkdown(model: string, conversation: Conversation): string {
  const parts = [`# Chat with ${model}`]
  if (conversation.system) parts.push(`**System:** ${conversation.system}`)
  for (const turn of conversation.turns) parts.push(`## User\n\n${turn.user}`, `## Assistant\n\n${turn.assistant}`)
  return parts.join('\n\n') + '\n'
}
